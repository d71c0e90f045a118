import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { appYaml, type AppYamlMiddleware } from '../app-yaml.js';
import escapeHtml from 'escape-html';
import { ConfigError } from '../config/errors.js';
import { configureServer } from '../envelope/server.js';

const USAGE = `Usage: appyaml serve [dir] [options]

Serves the app in dir (default .) as App Engine would, from its app.yaml.
  --port N            port to listen on (default $PORT, else 8080; 0 picks a free one)
  --host H            address to listen on (default 127.0.0.1)
  --dev               development mode: follow file edits, /_ah/login sign-in
  --hsts              add Strict-Transport-Security (one year) to https responses
  --frontend-cache    emulate the Google Frontend's edge cache (public, max-age responses)
  --python PATH       interpreter for WSGI script handlers (default /usr/bin/python3 when present)
  --trust-proxy LIST  peers whose X-Forwarded-* headers are believed: addresses or CIDRs,
                      comma-separated, a hop count, or '*' (default loopback)
  -h, --help

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 invalid app.yaml or port in use, 2 bad usage.
`;

/** Open connections get this long to finish after SIGINT/SIGTERM before they are cut. */
const SHUTDOWN_GRACE_MS = 3000;

/**
 * `appyaml serve [dir] --port N --host H`: the app on a plain `node:http` server. Resolves with
 * the exit code once the server has stopped (after SIGINT or SIGTERM), or at once on bad
 * arguments (2), an invalid app.yaml or a port that cannot be bound (1).
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
        'trust-proxy': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`appyaml serve: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const portText = values.port ?? process.env.PORT ?? '8080';
  const port = Number(portText);
  if (positionals.length > 1 || !/^\d+$/.test(portText) || port > 65535) {
    process.stderr.write(`appyaml serve: ${positionals.length > 1 ? 'one app folder at most' : `invalid port "${portText}"`}\n${USAGE}`);
    return 2;
  }
  const root = resolve(positionals[0] ?? '.');
  const host = values.host ?? '127.0.0.1';

  let middleware: AppYamlMiddleware;
  try {
    const trust = values['trust-proxy'];
    middleware = appYaml({
      root,
      mode: values.dev ? 'development' : 'production',
      hsts: values.hsts ?? false,
      frontendCache: values['frontend-cache'] ?? false,
      python: values.python,
      // A bare number is a hop count, as Express reads it; anything else a list of peers.
      trustProxy: trust === undefined ? undefined : /^\d+$/.test(trust) ? Number(trust) : trust,
    });
  } catch (err) {
    process.stderr.write(`appyaml serve: ${err instanceof ConfigError ? err.message : `cannot serve ${root}: ${(err as Error).message}`}\n`);
    return 1;
  }
  const server = configureServer(createServer((req, res) => middleware(req, res, (err) => (err ? internalError(res) : noHandler(req, res)))));
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        ok();
      });
    });
  } catch (err) {
    await middleware.close();
    process.stderr.write(`appyaml serve: cannot listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(`appyaml: serving ${root} at http://${shown}:${address.port}/\n`);

  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => void middleware.close().then(done));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/**
 * What `next()` gets: App Engine's 404 page when no handler matched (spec §2.1 step 8); for a
 * script handler no backend runs yet (CGI scripts, `script: auto`), a 501.
 */
function noHandler(req: IncomingMessage, res: ServerResponse): void {
  const route = req.appEngine?.route;
  if (route?.handler.type === 'script') {
    const text = `script handlers are not served yet: ${route.target}\n`;
    res.writeHead(501, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text))]);
    res.end(text);
    return;
  }
  const path = req.appEngine?.path ?? '';
  const body = `<html><head><title>Not Found</title></head><body>The url "${escapeHtml(path)}" does not match any handlers.</body></html>`;
  res.writeHead(404, ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'X-Content-Type-Options', 'nosniff']);
  res.end(body);
}

function internalError(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, ['Content-Length', '0']);
  res.end();
}
