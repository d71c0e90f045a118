/**
 * appYaml() as a whole: the envelope, routing, secure, login, static serving and the hand-over
 * to the host app, in App Engine's order, over real HTTP inside Express 5.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appYaml, ConfigError, silentLogger, type AppEngineUser, type AppYamlMiddleware } from '../lib/index.js';
import { fetchPath, makeApp, removeDir } from './static/helpers.js';

const APP_YAML = `runtime: python27
api_version: 1
threadsafe: true
handlers:
- url: /static
  static_dir: static
  expiration: 1d
- url: /optional/(.*)
  static_files: static/\\1
  upload: static/.*
  require_matching_file: true
- url: /secure/.*
  script: main.app
  secure: always
  login: required
- url: /admin/.*
  script: main.app
  login: admin
  auth_fail_action: unauthorized
- url: /.*
  script: main.app
`;

/** A WSGI app that answers with what it received, so tests can see the hand-over. */
const MAIN_PY = `import json
KEYS = ['PATH_INFO', 'HTTP_X_APPENGINE_USER_EMAIL', 'HTTP_X_APPENGINE_USER_IS_ADMIN', 'HTTP_X_APPENGINE_COUNTRY',
        'HTTP_X_SPOOF', 'HTTP_X_APPENGINE_REQUEST_LOG_ID', 'HTTP_X_FORWARDED_PROTO', 'USER_EMAIL', 'wsgi.url_scheme']
def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [json.dumps({k: environ.get(k) for k in KEYS}).encode()]
`;

const alice: AppEngineUser = { email: 'alice@example.com', userId: '42', nickname: 'alice', isAdmin: false };

describe('appYaml() composition', () => {
  let root: string;
  let middleware: AppYamlMiddleware;
  let port: number;
  let close: () => void;
  /** Requests that reached the host app behind appYaml(). */
  let hostCalls = 0;

  before(async () => {
    root = makeApp({ 'app.yaml': APP_YAML, 'main.py': MAIN_PY, 'static/site.css': 'body{}', 'static/.secret': 'no' });
    middleware = appYaml({
      root,
      logger: silentLogger,
      users: (req) => (req.headers.cookie === 'who=alice' ? alice : null),
    });
    const app = express();
    app.use(middleware);
    app.use((req, res) => {
      hostCalls++;
      res.type('text/plain').send(`host ${req.appEngine?.path}`);
    });
    const server = createServer(app);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
    close = () => {
      server.closeAllConnections();
      server.close();
    };
  });

  after(async () => {
    close();
    await middleware.close();
    removeDir(root);
  });

  /** What the WSGI app received, from its JSON answer. */
  const environ = (body: Buffer): Record<string, string | null> => JSON.parse(body.toString()) as Record<string, string | null>;

  test('serves a static file with App Engine headers, without reaching the host app', async () => {
    hostCalls = 0;
    const reply = await fetchPath(port, '/static/site.css');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'body{}');
    assert.equal(reply.headers['cache-control'], 'public, max-age=86400');
    assert.equal(hostCalls, 0);
  });

  test('a skipped dotfile is 404 and stops matching, as a missing static file does', async () => {
    const reply = await fetchPath(port, '/static/.secret');
    assert.equal(reply.status, 404);
    assert.notEqual(reply.body.toString(), 'no');
  });

  test('require_matching_file lets a missing file fall through to the next handler (the WSGI app)', async () => {
    const reply = await fetchPath(port, '/optional/missing.css');
    assert.equal(reply.status, 200);
    assert.equal(environ(reply.body).PATH_INFO, '/optional/missing.css');
  });

  test('a WSGI script gets App Engine headers, never the ones a client forged, and its response the frontend rules', async () => {
    const reply = await fetchPath(port, '/hello?x=1', {
      headers: { 'X-AppEngine-User-Email': 'forged@example.com', 'X-AppEngine-Country': 'US', X_Spoof: '1' },
    });
    assert.equal(reply.status, 200);
    const env = environ(reply.body);
    assert.equal(env.PATH_INFO, '/hello');
    assert.equal(env.HTTP_X_APPENGINE_USER_EMAIL, null);
    assert.equal(env.HTTP_X_APPENGINE_COUNTRY, 'ZZ');
    assert.equal(env.HTTP_X_SPOOF, null);
    assert.match(String(env.HTTP_X_APPENGINE_REQUEST_LOG_ID), /^[0-9a-f]{32}$/);
    assert.equal(env.HTTP_X_FORWARDED_PROTO, 'http');
    assert.equal(reply.headers['cache-control'], 'private');
    assert.equal(reply.headers.server, 'Google Frontend');
  });

  test('secure is checked before login: http goes to https first', async () => {
    const reply = await fetchPath(port, '/secure/page?a=1');
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'https://127.0.0.1/secure/page?a=1');
  });

  test('login: required redirects a signed-out visitor, and hands a signed-in one over with user headers', async () => {
    const out = await fetchPath(port, '/secure/page', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(out.status, 302);
    assert.match(String(out.headers.location), /^https:\/\/127\.0\.0\.1:\d+\/_ah\/login\?continue=https%3A\/\/127\.0\.0\.1%3A\d+\/secure\/page$/);
    const signedIn = await fetchPath(port, '/secure/page', { headers: { 'X-Forwarded-Proto': 'https', Cookie: 'who=alice' } });
    assert.equal(signedIn.status, 200);
    const env = environ(signedIn.body);
    assert.equal(env.HTTP_X_APPENGINE_USER_EMAIL, 'alice@example.com');
    assert.equal(env.HTTP_X_APPENGINE_USER_IS_ADMIN, '0');
    assert.equal(env.USER_EMAIL, 'alice@example.com');
    assert.equal(env['wsgi.url_scheme'], 'https');
  });

  test('login: admin answers 401 to a non-admin, whatever auth_fail_action says', async () => {
    const reply = await fetchPath(port, '/admin/x', { headers: { Cookie: 'who=alice' } });
    assert.equal(reply.status, 401);
    assert.match(reply.body.toString(), /alice@example\.com is not authorized/);
  });

  test('hostile paths are refused by the envelope before any handler runs', async () => {
    assert.equal((await fetchPath(port, '/static/%2e%2e/app.yaml')).status, 400);
    const dots = await fetchPath(port, '/static/../static/site.css?q=1');
    assert.equal(dots.status, 302);
    assert.equal(dots.headers.location, '/static/site.css?q=1');
  });

  test('a declared body over 32 MiB is 413 before the host app sees it', async () => {
    hostCalls = 0;
    const reply = await fetchPath(port, '/upload', { method: 'POST', headers: { 'Content-Length': String(32 * 1024 * 1024 + 1) } }).catch((err: Error) => err);
    assert.ok(!(reply instanceof Error), String(reply));
    assert.equal(reply.status, 413);
    assert.equal(hostCalls, 0);
  });

  test('production mode refuses login handlers without a user source, at load', () => {
    assert.throws(() => appYaml({ root, logger: silentLogger }), (err: unknown) => err instanceof ConfigError && /login: required needs a user source/.test(err.message));
  });
});
