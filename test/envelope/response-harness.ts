/**
 * A real server composing the envelope, static handlers and the response frontend the way
 * appYaml() is meant to wire them (docs/responses.md, "Wiring"), with an Express app standing in
 * for the script handlers.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { loadAppYaml } from '../../lib/config/load.js';
import { compileFrontend, type Frontend, type FrontendOptions } from '../../lib/envelope/frontend.js';
import { compileEnvelope, type EnvelopeOptions } from '../../lib/envelope/index.js';
import { silentLogger } from '../../lib/envelope/logger.js';
import { StaticContentHandler } from '../../lib/handlers/static/handler.js';
import { RouteTable } from '../../lib/router/route-table.js';
import { makeApp, removeDir } from '../static/helpers.js';

export interface FrontendServer {
  port: number;
  frontend: Frontend;
  /** How many requests reached the script app. */
  readonly scriptHits: number;
  close(): Promise<void>;
}

export interface FrontendServerOptions {
  /** app.yaml text; default: every URL goes to the script. */
  yaml?: string;
  files?: Record<string, string | Buffer>;
  frontend?: FrontendOptions;
  envelope?: Omit<EnvelopeOptions, 'config'>;
  /** Take over what script routes write (default); false for routes that call `sendScriptResponse`. */
  captureScripts?: boolean;
  /** The "script": routes on an Express app; `root` is the app folder. */
  script?: (app: Express, root: string) => void;
}

export const SCRIPT_ONLY = 'runtime: python27\napi_version: 1\nthreadsafe: true\nhandlers:\n- url: /.*\n  script: main.app\n';

export async function startFrontendServer(options: FrontendServerOptions = {}): Promise<FrontendServer> {
  const root = makeApp({ 'app.yaml': options.yaml ?? SCRIPT_ONLY, 'main.py': '', ...options.files }, 'appyaml-frontend-');
  const config = loadAppYaml({ root });
  const table = new RouteTable(config.handlers);
  const frontend = compileFrontend(config, options.frontend);
  const statics = new StaticContentHandler(config, {}, frontend.staticVaries);
  const envelope = compileEnvelope({ logger: silentLogger, trustProxy: false, onDeadline: frontend.onDeadline, ...options.envelope, config });
  const state = { scriptHits: 0 };

  const app = express();
  app.use((req, res, next) => {
    if (!envelope.admit(req, res)) return;
    const path = req.appEngine!.path;
    for (let route = table.match(path); route; route = table.match(path, route.handler.index + 1)) {
      req.appEngine!.route = route;
      if (frontend.serveCached(req, res)) return;
      if (route.handler.type === 'script') {
        envelope.handOver(req, res);
        if (options.captureScripts !== false) frontend.captureScript(req, res);
        state.scriptHits++;
        return next();
      }
      const handler = route.handler;
      const target = route.target;
      if (frontend.serveStatic(req, res, () => statics.serve(handler, target, req, res))) return;
    }
    res.status(404).type('text/plain').send('no handler');
  });
  options.script?.(app, root);

  const server = createServer(app);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    frontend,
    get scriptHits() {
      return state.scriptHits;
    },
    close: () =>
      new Promise<void>((ok) => {
        frontend.close();
        statics.close();
        server.closeAllConnections();
        server.close(() => {
          removeDir(root);
          ok();
        });
      }),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw header pairs as received, names in their case. */
  raw: string[];
  /** The body as received (still encoded). */
  body: Buffer;
}

/** One request over a fresh connection; the body is returned as received, not decoded. */
export function fetch(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, raw: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** A browser's headers: App Engine compresses for these. */
export const BROWSER = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', 'Accept-Encoding': 'gzip, deflate, br' };

/** Text of the given size that compresses well. */
export function text(bytes: number): string {
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `<p>line ${i} of some text that repeats</p>\n`;
  return out.slice(0, bytes);
}

/** An app with a static folder and a catch-all script: the shape most response tests need. */
export const STATIC_AND_SCRIPT_YAML = `runtime: python27
api_version: 1
threadsafe: true
handlers:
- url: /static
  static_dir: static
- url: /.*
  script: main.app
`;
