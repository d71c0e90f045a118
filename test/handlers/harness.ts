/**
 * What the secure/hsts/login/host/forwarding tests share: a real server on 127.0.0.1, an HTTP
 * client that reports everything (status, reason, raw headers, bytes), a raw `net` client for
 * requests HTTP clients would fix, and a small Express app playing the composer's part.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { loadAppYaml } from '../../lib/config/load.js';
import { compileForwarding, type ForwardingOptions } from '../../lib/envelope/forwarding.js';
import { RouteTable } from '../../lib/router/route-table.js';
import type { Middleware } from '../../lib/handlers/response.js';

export interface Reply {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Started {
  port: number;
  close: () => Promise<void>;
}

export async function listen(handler: RequestListener | Server | https.Server): Promise<Started> {
  const server = handler instanceof http.Server || handler instanceof https.Server ? handler : http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export function request(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return collect(http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }), options.body);
}

/** Sends `req` with `body` and gathers the whole reply. */
function collect(req: http.ClientRequest, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `text` as it is and returns the status line, the header lines and the body. */
export async function rawRequest(port: number, text: string): Promise<{ statusLine: string; headers: string[]; body: string }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.end(text);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  const response = Buffer.concat(chunks).toString('latin1');
  const split = response.indexOf('\r\n\r\n');
  const [statusLine = '', ...headers] = response.slice(0, split).split('\r\n');
  return { statusLine, headers, body: response.slice(split + 4) };
}

/** Loads a handlers list as an app.yaml would give it. */
export function routes(handlers: Array<Record<string, unknown>>): RouteTable {
  return new RouteTable(loadAppYaml({ root: '/nonexistent', config: { runtime: 'python312', handlers } }).handlers);
}

/**
 * The composer's part, reduced: decide scheme and client from the forwarding options, decode
 * the path, route it, then run `parts` in order; a routed request that gets through them is
 * answered 200 with what the backend would learn (JSON), after setting a static handler's
 * `http_headers` as the static part does.
 */
export function composedApp(table: RouteTable, parts: Middleware[], forwarding: ForwardingOptions = {}): express.Express {
  const decide = compileForwarding(forwarding);
  const app = express();
  // Errors are expected in some tests; finalhandler would print their stacks.
  app.set('env', 'test');
  app.use((req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void) => {
    const { scheme, clientIp } = decide(req);
    // As the envelope does: an absolute-form target is routed by its path.
    const url = (req.url ?? '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '');
    const q = url.indexOf('?');
    const path = safeDecode(q < 0 ? url : url.slice(0, q));
    req.appEngine = { path, query: q < 0 ? '' : url.slice(q + 1), scheme, clientIp };
    const route = table.match(path);
    if (route) req.appEngine.route = route;
    next();
  });
  for (const part of parts) app.use(part);
  app.use((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const route = req.appEngine?.route;
    if (!route) {
      next();
      return;
    }
    if (route.handler.type !== 'script') for (const [name, value] of route.handler.http_headers) res.setHeader(name, value);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ handler: route.handler.url, scheme: req.appEngine!.scheme, user: req.appEngine!.user ?? null }));
  });
  return app;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A throwaway self-signed certificate from the `openssl` command, or undefined when there is none. */
export function selfSignedCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'appyaml-cert-'));
  try {
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=localhost', '-days', '1'],
      { cwd: dir, stdio: 'ignore' },
    );
    if (made.status !== 0) return undefined;
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like `request`, over TLS to a server using a self-signed certificate. */
export function httpsRequest(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return collect(https.request({ host: '127.0.0.1', port, path, headers, agent: false, rejectUnauthorized: false }));
}
