/** Client-side fault tools: requests that abort mid-upload or mid-download, keep-alive floods, settling checks. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { get, raw } from './raw.js';

/** Sends `head` and `bodyBytes` of a larger declared body, then destroys the socket. */
export function abortUpload(port: number, head: string, bodyBytes: number): Promise<void> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => done());
    socket.write(head);
    socket.write(Buffer.alloc(bodyBytes, 0x75), () => setTimeout(() => socket.destroy(), 100));
  });
}

/** Requests `target` and destroys the socket after the first `bytes` received; resolves with what arrived. */
export function abortDownload(port: number, target: string, bytes = 65536): Promise<Buffer> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= bytes) socket.destroy();
    });
    socket.on('close', () => done(Buffer.concat(chunks)));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: app.test\r\n\r\n`);
  });
}

/** Opens `count` keep-alive connections, each having sent one GET; resolves with the sockets and the statuses seen so far. */
export async function keepAliveFlood(port: number, count: number, target: string): Promise<{ sockets: net.Socket[]; statuses: number[] }> {
  const statuses: number[] = [];
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((done) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.on('error', () => done(socket));
          socket.once('connect', () => {
            socket.write(`GET ${target} HTTP/1.1\r\nHost: app.test\r\n\r\n`);
            done(socket);
          });
          socket.on('data', (d: Buffer) => {
            const m = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'));
            if (m) statuses.push(Number(m[1]));
          });
          socket.setTimeout(8000, () => socket.destroy());
        }),
    ),
  );
  return { sockets, statuses };
}

/** Polls `read` until it returns `expected` (or `ms` pass); asserts it did. */
export async function settlesTo(read: () => number, expected: number, what: string, ms = 6000): Promise<void> {
  const until = Date.now() + ms;
  let value = read();
  while (value !== expected && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    value = read();
  }
  assert.equal(value, expected, `${what}: ${value}, was ${expected} before`);
}

/** The server answers the next requests: a static file and the WSGI app. */
export async function stillAnswers(port: number): Promise<void> {
  const file = await raw(port, get('/static/ok.txt'));
  assert.equal(file.status, 200, 'static after the fault');
  assert.equal(file.body, 'ok file');
  const app = await raw(port, get('/wsgi/hello'), 15000);
  assert.equal(app.status, 200, `WSGI after the fault: ${app.text.slice(0, 200)}`);
}
