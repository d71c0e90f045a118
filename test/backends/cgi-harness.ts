/** Real servers for the CGI backend tests: envelope → route → CgiBackend, real processes. */
import { chmodSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CgiBackend, type CgiOptions } from '../../lib/backends/cgi/backend.js';
import { loadAppYaml } from '../../lib/config/load.js';
import { compileEnvelope, configureServer, jsonLogger, type EnvelopeOptions } from '../../lib/envelope/index.js';
import { RouteTable } from '../../lib/router/route-table.js';
import { makeApp, PYTHON } from './harness.js';

export { fetch, logged, waitFor, PYTHON } from './harness.js';

export const APP_YAML = ['runtime: python27', 'api_version: 1', 'threadsafe: false', 'handlers:', '- url: /sh/.*', '  script: cgi-bin/run.sh', '- url: /noexec', '  script: cgi-bin/noexec', '- url: /(\\w+)', '  script: \\1.py', ''].join('\n');

/** A temp app folder holding `files`; `*.sh` files are made executable. */
export function makeCgiApp(files: Record<string, string>): string {
  const root = realpathSync(makeApp({ 'app.yaml': APP_YAML, ...files }));
  for (const path of Object.keys(files)) if (path.endsWith('.sh')) chmodSync(join(root, path), 0o755);
  return root;
}

export interface CgiServer {
  port: number;
  root: string;
  backend: CgiBackend;
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface CgiServerOptions {
  envelope?: Omit<EnvelopeOptions, 'config' | 'logger'>;
  cgi?: Omit<CgiOptions, 'config' | 'logger'>;
}

/** Serves the app in `root` as appYaml() would for script handlers, on 127.0.0.1. */
export async function startCgiServer(root: string, options: CgiServerOptions = {}): Promise<CgiServer> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = jsonLogger({ destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const config = loadAppYaml(root);
  const envelope = compileEnvelope({ ...options.envelope, config, logger });
  const table = new RouteTable(config.handlers);
  const backend = new CgiBackend({ python: PYTHON, ...options.cgi, config, logger });
  // Room for the 431 test's headers, which Node's default 16 KiB would refuse first.
  const server = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
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

/**
 * Live (not zombie) processes whose working directory is inside `root`: every CGI script and
 * whatever it started, and the cached workers, run there.
 */
export function processesIn(root: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== root && !cwd.startsWith(`${root}/`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') found.push(Number(entry));
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
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
