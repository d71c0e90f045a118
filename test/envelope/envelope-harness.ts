import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { configureServer, envelope, type EnvelopeOptions, type ServerTimeouts } from '../../lib/envelope/index.js';
import { jsonLogger } from '../../lib/envelope/logger.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  port: number;
  server: http.Server;
  /** Parsed JSON log lines written so far. */
  logs: Array<Record<string, unknown>>;
  /** Requests that reached the handler after the envelope. */
  handled: number;
  close(): Promise<void>;
}

/**
 * A real server on 127.0.0.1: `envelope(options)` in front of `handler`, logs captured through
 * the default JSON logger, `configureServer` applied.
 */
export async function startServer(handler: Handler, options: EnvelopeOptions = {}, timeouts: ServerTimeouts = {}): Promise<TestServer> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = options.logger ?? jsonLogger({ destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const middleware = envelope({ ...options, logger });
  const state = { handled: 0 };
  const server = http.createServer((req, res) => {
    middleware(req, res, (err) => {
      if (err) {
        res.statusCode = 599;
        res.end(String(err));
        return;
      }
      state.handled++;
      handler(req, res);
    });
  });
  configureServer(server, timeouts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    logs,
    get handled() {
      return state.handled;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, as text. */
  text: string;
  /** False when the client gave up waiting (the server kept the connection open). */
  closedByServer: boolean;
}

/** Decodes a complete chunked body (as much of it as arrived). */
function dechunk(body: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) return out;
    const size = parseInt(body.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Parses the first response in `text` (chunked, Content-Length or close-delimited bodies). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = end === -1 ? '' : text.slice(end + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : rest;
  return { status: Number(statusLine!.split(' ')[1]), headers, body, text, closedByServer: true };
}

/** Sends raw bytes on a new connection and collects everything until the server closes it (or `timeout`). */
export function rawRequest(port: number, data: string | Buffer, timeout = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let gaveUp = false;
    socket.setTimeout(timeout, () => {
      gaveUp = true;
      socket.destroy();
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer still leaves the answer to read
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      if (text === '') reject(new Error(gaveUp ? 'no response in time' : 'connection closed without a response'));
      else resolve({ ...parseResponse(text), closedByServer: !gaveUp });
    });
    socket.write(data);
  });
}

/** A complete HTTP/1.1 GET with `Connection: close`, for raw-socket tests. */
export function get(target: string, headers: string[] = []): string {
  return [`GET ${target} HTTP/1.1`, 'Host: app.test', ...headers, 'Connection: close', '', ''].join('\r\n');
}

/** Echoes what the app sees: its headers (as node parsed them and raw) and `req.appEngine`. */
export const echoHandler: Handler = (req, res) => {
  const { signal: _signal, ...facts } = req.appEngine ?? {};
  const body = JSON.stringify({ headers: req.headers, rawHeaders: req.rawHeaders, appEngine: facts });
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(body);
};

/** Waits until `predicate` holds, polling every 10 ms, for at most `ms`. */
export async function waitFor(predicate: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
