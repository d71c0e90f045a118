/** examples/express-embed in-process: Express routes before and after appyaml, fallthrough to Express. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { createApp } from '../../examples/express-embed/server.js';
import { request } from './serve-child.js';

let server: Server;
let port: number;
let close: () => Promise<void>;
before(async () => {
  const { app, appEngine } = createApp();
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
  close = () => appEngine.close();
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await close();
});

test('a route added before appyaml answers first', async () => {
  const r = await request(port, '/healthz');
  assert.equal(r.body, 'ok\n');
  assert.equal(r.headers['server'], undefined, 'appyaml never saw it');
});

test('app.yaml static handlers answer their urls', async () => {
  const home = await request(port, '/');
  assert.equal(home.status, 200);
  assert.match(home.body, /Served by appyaml's static handler/);
  assert.equal(home.headers['cache-control'], 'public, max-age=300');
  assert.equal((await request(port, '/public/style.css')).headers['cache-control'], 'public, max-age=86400');
});

test('a script handler with no backend falls through to the Express route, with App Engine\'s headers and rules', async () => {
  const r = await request(port, '/api/hello', { headers: { 'X-AppEngine-Country': 'FR' } });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { hello: 'from Express', path: '/api/hello', handler: '/api/.*', country: 'ZZ' });
  assert.equal(r.headers['cache-control'], 'private', 'App Engine\'s dynamic response rule');
});

test('a url no handler matches reaches the last Express handler', async () => {
  const r = await request(port, '/elsewhere');
  assert.equal(r.status, 404);
  assert.equal(r.body, 'Express: nothing at /elsewhere\n');
});
