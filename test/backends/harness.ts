/** Real servers for the WSGI backend tests: envelope → route → WsgiBackend, real Python. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after } from 'node:test';
import { loadAppYaml } from '../../lib/config/load.js';
import type { AppConfig } from '../../lib/config/types.js';
import { compileEnvelope, configureServer, jsonLogger, type EnvelopeOptions, type Logger } from '../../lib/envelope/index.js';
import type { ScriptBackend } from '../../lib/backends/script-backend.js';
import { RouteTable } from '../../lib/router/route-table.js';
import { WsgiBackend, type WsgiOptions } from '../../lib/backends/wsgi/backend.js';

/** The interpreter that sees Debian's python3-flask. */
export const PYTHON = '/usr/bin/python3';

/** A temp app folder (prefix `appyaml-wsgi-`) holding `files`. */
export function makeApp(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'appyaml-wsgi-'));
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  return root;
}

/** A real server running one backend behind the envelope, as appYaml() would for script handlers. */
export interface BackendServer<B extends ScriptBackend> {
  port: number;
  root: string;
  backend: B;
  server: http.Server;
  /** Parsed JSON log lines (envelope and backend). */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface BackendServerOptions {
  envelope?: Omit<EnvelopeOptions, 'config' | 'logger'>;
  maxHeaderSize?: number;
  /** Serve without the envelope: the backend alone, as its own middleware mounted by itself. */
  bare?: boolean;
}

export type WsgiServer = BackendServer<WsgiBackend>;

export interface ServerOptions {
  envelope?: Omit<EnvelopeOptions, 'config' | 'logger'>;
  wsgi?: Omit<WsgiOptions, 'config' | 'logger'>;
}

/**
 * Serves the app in `root` on 127.0.0.1: envelope → route → the backend `make` builds, and a
 * plain 404 for what it does not take. `close()` stops the backend and deletes `root`.
 */
export async function startBackendServer<B extends ScriptBackend>(
  root: string,
  make: (config: AppConfig, logger: Logger) => B,
  options: BackendServerOptions = {},
): Promise<BackendServer<B>> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = jsonLogger({ destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const config = loadAppYaml(root);
  const envelope = compileEnvelope({ ...options.envelope, config, logger });
  const table = new RouteTable(config.handlers);
  const backend = make(config, logger);
  const notFound = (res: http.ServerResponse) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('no handler');
  };
  const server = http.createServer({ maxHeaderSize: options.maxHeaderSize }, (req, res) => {
    if (options.bare) return backend.handle(req, res, () => notFound(res));
    if (!envelope.admit(req, res)) return;
    const route = table.match(req.appEngine!.path);
    if (route) req.appEngine!.route = route;
    envelope.handOver(req, res);
    backend.handle(req, res, () => notFound(res));
  });
  const upgrade = (backend as Partial<{ upgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void }>).upgrade;
  if (upgrade) server.on('upgrade', upgrade);
  configureServer(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    root,
    backend,
    server,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await backend.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The WSGI backend behind the envelope. */
export function startServer(root: string, options: ServerOptions = {}): Promise<WsgiServer> {
  return startBackendServer(root, (config, logger) => new WsgiBackend({ python: PYTHON, ...options.wsgi, config, logger }), options);
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw header pairs, as received (repeats kept). */
  rawHeaders: string[];
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer | Array<string | Buffer>;
}

/** One request on a fresh connection; rejects when the server cuts it. */
export function fetch(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    const body = options.body;
    if (Array.isArray(body)) {
      // Chunked: written in parts.
      for (const part of body) req.write(part);
      req.end();
    } else req.end(body);
  });
}

/** PIDs of bridge processes serving apps under `root` (zombies excluded: their command line is gone). */
export function bridgePids(root: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `wsgi_bridge.py ${root}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * `start` wrapped so that every server it starts is closed after the file's tests, asserting that
 * `leftovers(root)` (processes of the app still alive) is empty then.
 */
export function trackServers<S extends { root: string; close(): Promise<void> }, A extends unknown[]>(
  start: (...args: A) => Promise<S>,
  leftovers: (root: string) => number[] = processesIn,
): (...args: A) => Promise<S> {
  const servers: S[] = [];
  after(async () => {
    // Every server closed before any assertion, so that a failure does not keep the others running.
    await Promise.allSettled(servers.map((s) => s.close()));
    for (const s of servers) {
      // A killed process takes a moment to go; one still there after that was left behind.
      await waitFor(() => leftovers(s.root).length === 0, 10_000, `no process left for ${s.root}`).catch(() => undefined);
      const left = leftovers(s.root).map((pid) => `${pid} ${commandOf(pid)}`);
      assert.deepEqual(left, [], `no process left for ${s.root}`);
    }
  });
  return async (...args) => {
    const s = await start(...args);
    servers.push(s);
    return s;
  };
}

/** Resolves once `check()` is true, polling; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lines logged with `message` containing `text`. */
export function logged(logs: Array<Record<string, unknown>>, text: string): Array<Record<string, unknown>> {
  return logs.filter((l) => typeof l.message === 'string' && l.message.includes(text));
}

/**
 * Live (not zombie) processes whose working directory is `root` or inside it: every script,
 * worker and app server a backend started there, and whatever they started.
 */
export function processesIn(root: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A folder removed under a process reads "<path> (deleted)": still ours.
      const cwd = readlinkSync(`/proc/${entry}/cwd`).replace(/ \(deleted\)$/, '');
      if (cwd !== root && !cwd.startsWith(`${root}/`)) continue;
      if (alive(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
}

/** A process's command line, for messages. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** Whether `pid` is a live (not zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
