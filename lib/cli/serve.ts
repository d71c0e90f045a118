import { existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { appYaml, configureServer, ConfigError, jsonLogger, type AppYamlMiddleware, type AppYamlOptions, type Logger } from '../index.js';
import { ReloadingApp, type ReloadEvent } from './dev-reload.js';
import { handlerTable } from './handler-table.js';
import { noHandler, internalError } from './not-found.js';
import { color, EXIT } from './output.js';
import { readableLogger } from './request-lines.js';

export const SERVE_HELP = `Usage: appyaml serve [dir|app.yaml] [options]

Serves the app in dir (default .) as App Engine would, from its app.yaml (or the file given).
Prints the handler table and the URL to open, then one line per request.

Options:
  --port N            port to listen on (default $PORT, else 8080; 0 picks a free one)
  --host H            address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --dev               development mode: reload on edits to app.yaml, its includes and Python
                      code; the static files follow edits; /_ah/login sign-in; GAE_ENV=localdev
  --hsts              add Strict-Transport-Security (one year) to https responses
  --frontend-cache    emulate the Google Frontend's edge cache (public, max-age responses)
  --python PATH       interpreter for script handlers and the entrypoint
                      (default /usr/bin/python3 when present)
  --cgi-mode MODE     cached (default: App Engine's main() caching in persistent
                      workers) or spawn (a process per CGI request)
  --trust-proxy LIST  peers whose X-Forwarded-* headers are believed: addresses or CIDRs,
                      comma-separated, a hop count, or '*' (default loopback)
  --json              log Cloud Logging JSON lines instead of readable ones
  -h, --help

Ctrl-C (SIGINT) or SIGTERM stops accepting connections, lets open requests finish for 3 s and
stops the app's processes.

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 invalid app.yaml or the port cannot be bound,
2 bad usage.
`;

/** Open connections get this long to finish after SIGINT/SIGTERM before they are cut. */
const SHUTDOWN_GRACE_MS = 3000;

/**
 * `appyaml serve`: the app on a plain `node:http` server. Resolves with the exit code once the
 * server has stopped (after SIGINT or SIGTERM), or at once on bad arguments (2), an invalid
 * app.yaml or a port that cannot be bound (1).
 */
export async function runServe(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        dev: { type: 'boolean' },
        hsts: { type: 'boolean' },
        'frontend-cache': { type: 'boolean' },
        python: { type: 'string' },
        'cgi-mode': { type: 'string' },
        'trust-proxy': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`appyaml serve: ${(err as Error).message}\n${SERVE_HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.ok;
  }
  const cgiMode = values['cgi-mode'] ?? 'cached';
  if (cgiMode !== 'cached' && cgiMode !== 'spawn') {
    process.stderr.write(`appyaml serve: --cgi-mode is cached or spawn, not "${cgiMode}"\n${SERVE_HELP}`);
    return EXIT.usage;
  }
  const portText = values.port ?? process.env.PORT ?? '8080';
  const port = Number(portText);
  if (positionals.length > 1 || !/^\d+$/.test(portText) || port > 65535) {
    process.stderr.write(`appyaml serve: ${positionals.length > 1 ? 'one app folder at most' : `invalid port "${portText}"`}\n${SERVE_HELP}`);
    return EXIT.usage;
  }
  // A folder means its app.yaml; a file is the config, its folder the app.
  const given = resolve(positionals[0] ?? '.');
  const isFile = existsSync(given) && statSync(given).isFile();
  const root = isFile ? dirname(given) : given;
  const host = values.host ?? '127.0.0.1';
  const dev = values.dev ?? false;

  const handlers = new Map<string, string>();
  const logger: Logger = values.json ? jsonLogger() : readableLogger({ handlerOf: (id) => take(handlers, id) });
  const trust = values['trust-proxy'];
  const options: AppYamlOptions = {
    root,
    ...(isFile ? { file: basename(given) } : {}),
    mode: dev ? 'development' : 'production',
    hsts: values.hsts ?? false,
    frontendCache: values['frontend-cache'] ?? false,
    python: values.python,
    cgiMode,
    logger,
    // A bare number is a hop count, as Express reads it; anything else a list of peers.
    trustProxy: trust === undefined ? undefined : /^\d+$/.test(trust) ? Number(trust) : trust,
  };
  const say = (message: string, fields: Record<string, unknown> = {}) =>
    values.json ? logger.info(fields, message) : process.stdout.write(`${color.bold('appyaml:')} ${message}\n`);

  let app: ReloadingApp;
  try {
    app = new ReloadingApp(appYaml(options), () => appYaml(options), (event) => reported(event, say, values.json ?? false));
  } catch (err) {
    process.stderr.write(`appyaml serve: ${err instanceof ConfigError ? err.message : `cannot serve ${root}: ${(err as Error).message}`}\n`);
    return EXIT.configError;
  }

  const unmatched = new WeakSet<IncomingMessage>();
  const server = configureServer(
    createServer((req, res) => {
      // Registered before the middleware's own listener, so the handler is known when the request line is written.
      if (!values.json) res.once('close', () => noteHandler(handlers, req, unmatched.has(req), app.middleware));
      app.handle(req, res, (err) => {
        if (err) return internalError(res);
        // A script handler that reaches here has no backend (501); anything else matched nothing.
        if (req.appEngine?.route?.handler.type !== 'script') unmatched.add(req);
        noHandler(req, res);
      });
    }),
  );
  // WebSockets to the entrypoint, through whichever middleware serves now.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => app.middleware.upgrade(req, socket, head));
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        ok();
      });
    });
  } catch (err) {
    await app.close();
    process.stderr.write(`appyaml serve: cannot listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return EXIT.configError;
  }

  const address = server.address() as AddressInfo;
  const shown = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}/`;
  const config = app.middleware.config;
  if (!values.json) process.stdout.write(`${handlerTable(config)}\n\n`);
  say(`serving ${root} at ${url}`, { url, root, mode: options.mode, handlers: config.handlers.length });
  if (!values.json) process.stdout.write(color.dim(`${config.runtime}, ${dev ? 'development mode: reloads on edits' : 'production mode'}; Ctrl-C stops\n`));
  if (dev) app.watch(root);

  await new Promise<void>((done) => {
    let stopping = false;
    // The listeners stay until the app has closed: a second signal cuts open connections at once,
    // and the backends' own last-resort handler sees that someone is shutting down gracefully.
    const stop = () => {
      if (stopping) return server.closeAllConnections();
      stopping = true;
      server.close(() =>
        void app.close().then(() => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        }),
      );
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT.ok;
}

function take(map: Map<string, string>, id: string): string | undefined {
  const value = map.get(id);
  map.delete(id);
  return value;
}

/** Records, under the request id, which handler answered: the readable line's handler column. */
function noteHandler(handlers: Map<string, string>, req: IncomingMessage, unmatched: boolean, middleware: AppYamlMiddleware): void {
  const facts = req.appEngine;
  if (!facts?.requestLogId) return;
  const route = facts.route;
  const handler = unmatched
    ? 'no handler'
    : route
      ? `${route.handler.type === 'script' ? `script ${route.target}` : route.handler.type} #${route.handler.index}`
      : facts.path === ''
        ? 'refused' // the envelope answered (400, 414) before any matching
        : /^\/_ah\/log(in|out)$/.test(facts.path)
          ? 'dev login'
          : middleware.config.environment === 'py27'
            ? '-'
            : 'entrypoint';
  handlers.set(facts.requestLogId, handler);
}

function reported(event: ReloadEvent, say: (message: string, fields?: Record<string, unknown>) => void, json: boolean): void {
  if (event.kind === 'reloaded') {
    say(`${event.file} changed: reloaded, ${event.middleware.config.handlers.length} handlers`, { file: event.file });
    if (!json) process.stdout.write(`${handlerTable(event.middleware.config)}\n`);
    return;
  }
  const message = event.error instanceof ConfigError ? event.error.message : String((event.error as Error).message ?? event.error);
  say(`${event.file} changed, but the app cannot be loaded; still serving the previous version.\n${message}`, { file: event.file, error: message });
}
