import http, { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import type { ProxyOutcome } from './proxy.js';

/**
 * Relays a WebSocket (or any `Upgrade`) request from a server's `upgrade` event to
 * `127.0.0.1:port`: the upstream's 101 and both byte streams, or its refusal. `end` is called
 * once the upgrade succeeded or failed (the tunnel then lives on its own); no 101 within
 * `timeout` ms is 504.
 */
export function relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, port: number, timeout: number, end: (outcome: ProxyOutcome) => void): void {
  let ended = false;
  const finish = (outcome: ProxyOutcome) => {
    if (ended) return;
    ended = true;
    end(outcome);
  };
  const upstream = http.request({
    host: '127.0.0.1',
    port,
    method: req.method,
    path: req.url,
    headers: upstreamRequestHeaders(req, req.headers.upgrade),
    setHost: req.headers.host === undefined,
    agent: false,
    timeout,
  });
  const refuse = (status: number) => {
    refuseUpgrade(socket, status);
    finish('failed');
  };
  socket.on('error', () => upstream.destroy());
  socket.once('close', () => upstream.destroy());
  upstream.on('timeout', () => {
    upstream.destroy();
    refuse(504);
  });
  upstream.on('error', () => refuse(502));
  upstream.on('upgrade', (up, upSocket, upHead) => {
    upstream.setTimeout(0);
    socket.write(rawHead(up.statusCode ?? 101, up.statusMessage, up.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    // A tunnel: whichever side fails, ends or closes takes the other with it (half-open
    // tunnels would outlive both peers: the servers on each side allow half-open sockets).
    const close = () => {
      socket.destroy();
      upSocket.destroy();
    };
    upSocket.on('error', close).on('end', close).on('close', close);
    socket.on('error', close).on('end', close).on('close', close);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
    finish('done');
  });
  upstream.on('response', (up) => {
    // The upstream declined to upgrade: its answer goes back, and the connection ends with it.
    upstream.setTimeout(0);
    const headers = clientResponseHeaders(up.rawHeaders, up.headers.connection);
    socket.write(rawHead(up.statusCode ?? 502, up.statusMessage, [...headers, 'Connection', 'close']));
    up.pipe(socket);
    up.on('error', () => socket.destroy());
    socket.once('finish', () => socket.destroy());
    finish('done');
  });
  upstream.end();
}

/**
 * Answers an upgrade request on its raw socket with an empty `status` and closes it: an upgrade
 * socket is no longer the HTTP server's, so nothing else would ever close it.
 */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/** A status line and header lines, for writing to a raw socket. */
function rawHead(status: number, reason: string | undefined, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}
