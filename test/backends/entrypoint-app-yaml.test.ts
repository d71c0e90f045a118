/**
 * The entrypoint through appYaml(): a python312 app with no `entrypoint` but a main.py defining
 * `app` runs App Engine's default (gunicorn main:app); `script: auto` handlers and unmatched
 * requests reach it, static handlers do not; its responses get App Engine's dynamic rules.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { appYaml, type AppYamlMiddleware } from '../../lib/app-yaml.js';
import { jsonLogger } from '../../lib/envelope/logger.js';
import { app, fetch, FLASK_MAIN, PYTHON, processesIn } from './entrypoint-harness.js';

const MAIN = `${FLASK_MAIN}
@app.route('/api/cookie')
def cookie():
    r = Response('c')
    r.headers['Set-Cookie'] = 'a=1'
    r.headers['Cache-Control'] = 'public, max-age=60'
    return r

@app.route('/api/stall')
def stall():
    def body():
        yield 'first part'
        time.sleep(30)
        yield 'never'
    return Response(body(), mimetype='text/plain')
`;

let root: string;
let middleware: AppYamlMiddleware;
let server: http.Server;
let port: number;
before(async () => {
  root = app(['runtime: python312', 'handlers:', '- url: /static', '  static_dir: static', '- url: /api/.*', '  script: auto'], {
    'main.py': MAIN,
    'static/a.txt': 'static file',
  });
  middleware = appYaml({ root, python: PYTHON, deadline: 2000, logger: jsonLogger({ destination: { write: () => true } }) });
  server = http.createServer((req, res) =>
    middleware(req, res, () => {
      res.writeHead(404);
      res.end('host app');
    }),
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
  await middleware.close();
  assert.deepEqual(processesIn(root), [], 'no gunicorn left after close()');
});

test('static handlers are served by appyaml, script: auto by the default entrypoint, unmatched requests too', { timeout: 30_000 }, async () => {
  const file = await fetch(port, '/static/a.txt');
  assert.equal(file.status, 200);
  assert.equal(file.text, 'static file');
  const seen = await fetch(port, '/seen');
  assert.equal(seen.status, 200, 'the implicit catch-all: no handler matched /seen');
  const env = (JSON.parse(seen.text) as { env: Record<string, string> }).env;
  assert.equal(env.GAE_RUNTIME, 'python312');
  assert.match(env.PORT!, /^\d+$/);
  assert.ok(processesIn(root).length >= 1, 'gunicorn runs in the app folder');
});

test("the entrypoint's responses get App Engine's dynamic response rules", { timeout: 30_000 }, async () => {
  const r = await fetch(port, '/api/cookie');
  assert.equal(r.status, 200);
  assert.equal(r.headers.server, 'Google Frontend');
  assert.equal(r.headers['cache-control'], 'max-age=60, private', 'Set-Cookie makes the response private');
  assert.equal(r.headers['content-length'], '1');
});

test('a response that stalls halfway: the buffered part is dropped and the deadline answers', { timeout: 30_000 }, async () => {
  const r = await fetch(port, '/api/stall');
  assert.equal(r.status, 504);
  assert.doesNotMatch(r.text, /first part/);
});
