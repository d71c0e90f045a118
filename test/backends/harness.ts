/** Real servers for the WSGI backend tests: envelope → route → WsgiBackend, real Python. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  /** Parsed JSON log lines (envelope and backend). */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
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
  options: { envelope?: Omit<EnvelopeOptions, 'config' | 'logger'>; maxHeaderSize?: number } = {},
): Promise<BackendServer<B>> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = jsonLogger({ destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const config = loadAppYaml(root);
  const envelope = compileEnvelope({ ...options.envelope, config, logger });
  const table = new RouteTable(config.handlers);
  const backend = make(config, logger);
  const server = http.createServer({ maxHeaderSize: options.maxHeaderSize }, (req, res) => {
    if (!envelope.admit(req, res)) return;
    const route = table.match(req.appEngine!.path);
    if (route) req.appEngine!.route = route;
    envelope.handOver(req, res);
    backend.handle(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('no handler');
    });
  });
  configureServer(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    root,
    backend,
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
