/** examples/guestbook through a real `appyaml serve`: static handlers, secure: always, the stdlib WSGI app. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, request, serveChild, type ServeChild } from './serve-child.js';

let app: ServeChild;
before(async () => {
  app = await serveChild(['examples/guestbook']);
});
after(async () => {
  assert.equal(await app.stop(), 0, app.output());
});

test('the home page is the WSGI app, with App Engine\'s dynamic response headers', async () => {
  const home = await request(app.port, '/');
  assert.equal(home.status, 200);
  assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(home.headers['cache-control'], 'private');
  assert.match(home.body, /<p id="count">0 entries<\/p>/);
  assert.match(home.body, /<link rel="stylesheet" href="\/static\/css\/guestbook\.css">/);
});

test('a signed entry is stored outside the app and listed, escaped', async () => {
  const signed = await request(app.port, '/sign', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'name=Ann&message=%3Cb%3Ehi%3C%2Fb%3E',
  });
  assert.equal(signed.status, 303);
  assert.equal(signed.headers.location, '/');
  const home = await request(app.port, '/');
  assert.match(home.body, /<p id="count">1 entry<\/p>/);
  assert.match(home.body, /<li><b>Ann<\/b>: &lt;b&gt;hi&lt;\/b&gt;<\/li>/);
  const store = path.join(app.tmp, 'appyaml-guestbook.jsonl');
  assert.equal(JSON.parse(readFileSync(store, 'utf8')).name, 'Ann');
  assert.equal(existsSync(path.join(REPO, 'examples/guestbook/appyaml-guestbook.jsonl')), false);

  const empty = await request(app.port, '/sign', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=Bob' });
  assert.equal(empty.status, 400);
});

test('/admin is secure: always — http is redirected, https (from a trusted proxy) is served', async () => {
  const plain = await request(app.port, '/admin');
  assert.equal(plain.status, 302);
  // Production App Engine redirects to the same host without a port.
  assert.equal(plain.headers.location, 'https://127.0.0.1/admin');
  const secure = await request(app.port, '/admin', { headers: { 'X-Forwarded-Proto': 'https' } });
  assert.equal(secure.status, 200);
  assert.match(secure.body, /^entries: \d+\nscheme: https\n$/);
});

test('static_dir and the favicon carry their expirations', async () => {
  const css = await request(app.port, '/static/css/guestbook.css');
  assert.equal(css.status, 200);
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(css.headers['cache-control'], 'public, max-age=86400');
  const js = await request(app.port, '/static/js/guestbook.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  const icon = await request(app.port, '/favicon.ico');
  assert.equal(icon.headers['content-type'], 'image/vnd.microsoft.icon');
  assert.equal(icon.headers['cache-control'], 'public, max-age=604800');
  assert.equal((await request(app.port, '/static/')).status, 404);
});

test('serve printed the handler table and one readable line per request', () => {
  const out = app.output();
  assert.match(out, /^1 +\/static +static_dir +static +optional +optional +86400s$/m);
  assert.match(out, /^2 +\/admin +script +main\.app +always +optional$/m);
  assert.match(out, /^303 +POST +\/sign +script main\.app #3 +[\d.]+ ms +\d+ B$/m);
  // An error's line ends with the request id, to find the request's other lines.
  assert.match(out, /^400 +POST +\/sign +script main\.app #3 +[\d.]+ ms +\d+ B +request [0-9a-f]{32}$/m);
});
