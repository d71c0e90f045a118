/** examples/flex-gunicorn through a real `appyaml serve`: the app's own gunicorn command, with gunicorn.conf.py. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, request, serveChild, type ServeChild } from './serve-child.js';

let app: ServeChild;
before(async () => {
  app = await serveChild(['examples/flex-gunicorn', '--python', '/usr/bin/python3']);
});
after(async () => {
  assert.equal(await app.stop(), 0, app.output());
});

test('every request goes to the entrypoint, which sees App Engine\'s variables and env_variables', async () => {
  const home = await request(app.port, '/anything');
  assert.equal(home.status, 200, home.body);
  assert.match(home.body, /^Hello from the flexible environment \(gunicorn worker \d+\); you asked for \/anything\n$/);
  const env = JSON.parse((await request(app.port, '/env')).body) as Record<string, string>;
  assert.equal(env.GAE_SERVICE, 'default');
  assert.equal(env.GREETING, 'Hello from the flexible environment');
  assert.match(env.PORT!, /^\d+$/);
  assert.notEqual(Number(env.PORT), app.port, 'gunicorn listens on its own port behind the proxy');
});

test('gunicorn.conf.py was read: its access log reaches serve\'s output', async () => {
  await request(app.port, '/logged');
  await eventually(() => /"GET \/logged HTTP\/1\.1" 200/.test(app.output()));
  assert.match(app.output(), /Using worker: (threads|gthread)/);
});
