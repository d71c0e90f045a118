/** examples/flask-app through a real `appyaml serve`: Flask behind App Engine's default gunicorn entrypoint. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request, serveChild, type ServeChild } from './serve-child.js';

let app: ServeChild;
before(async () => {
  app = await serveChild(['examples/flask-app', '--python', '/usr/bin/python3']);
});
after(async () => {
  assert.equal(await app.stop(), 0, app.output());
});

test('script: auto goes to Flask, with App Engine\'s headers added', async () => {
  const home = await request(app.port, '/');
  assert.equal(home.status, 200, home.body);
  assert.match(home.body, /<h1>Hello from Flask<\/h1>/);
  assert.equal(home.headers['cache-control'], 'private');
  const hello = await request(app.port, '/api/hello?name=appyaml', { headers: { 'X-AppEngine-Country': 'FR' } });
  const json = JSON.parse(hello.body) as Record<string, string>;
  assert.equal(json.greeting, 'Hello, appyaml!');
  assert.equal(json.country, 'ZZ', 'a client cannot forge X-AppEngine-Country');
  assert.match(json.trace!, /^[0-9a-f]{32}$/);
});

test('static_dir is served by the frontend, not Flask', async () => {
  const css = await request(app.port, '/static/style.css');
  assert.equal(css.status, 200);
  assert.equal(css.headers['cache-control'], 'public, max-age=3600');
  assert.equal((await request(app.port, '/static/missing.css')).body.includes('Flask'), false);
});
