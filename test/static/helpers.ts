import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';

/** A file's contents, or a symlink to create (`{ link: target }`). */
export type FixtureFile = string | Buffer | { link: string };

/** Writes an app folder in a fresh temporary directory and returns its path. */
export function makeApp(files: Record<string, FixtureFile>, prefix = 'appyaml-static-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeFixture(root, files);
  return root;
}

export function writeFixture(root: string, files: Record<string, FixtureFile>): void {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) symlinkSync(content.link, abs);
    else writeFileSync(abs, content);
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The body hosts answer with when the middleware calls next(): lets tests tell "fell through" apart. */
export const HOST_BODY = 'host app';

export interface Running {
  port: number;
  close(): Promise<void>;
}

async function start(server: Server): Promise<Running> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** The middleware on plain node:http; next() answers 404 HOST_BODY, next(err) 500. */
export function serveHttp(middleware: Middleware): Promise<Running> {
  return start(
    createServer((req, res) =>
      middleware(req, res, (err) => {
        res.writeHead(err ? 500 : 404, { 'Content-Type': 'text/plain' });
        res.end(err ? String(err) : HOST_BODY);
      }),
    ),
  );
}

/** The middleware inside Express 5, followed by a host route answering 404 HOST_BODY. */
export function serveExpress(middleware: Middleware): Promise<Running> {
  const app = express();
  app.use(middleware);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send(HOST_BODY);
  });
  return start(createServer(app));
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request with node:http (which sends the path exactly as given). */
export function fetchPath(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Everything received, or '' when the server closed without answering. */
  text: string;
}

/**
 * Sends a request line byte for byte over a TCP socket (HTTP clients normalise paths) and reads
 * until the server closes. `target` may hold any bytes, given as a latin1 string.
 */
export function rawRequest(port: number, target: string, method = 'GET'): Promise<RawReply> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', fail);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, end === -1 ? all.length : end).toString('latin1');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      ok({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: end === -1 ? Buffer.alloc(0) : all.subarray(end + 4), text: all.toString('latin1') });
    });
    socket.end(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n`, 'latin1'));
  });
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Polls `check` until it returns true or `ms` pass; returns its last answer. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 3000, every = 25): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}
