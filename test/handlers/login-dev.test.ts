import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import type { AppEngineUser } from '../../lib/envelope/context.js';
import { secure } from '../../lib/handlers/secure.js';
import { devLoginPages, devUserId, devUserSource, login, pythonQuote } from '../../lib/handlers/login/index.js';
import { composedApp, listen, request, routes, type Reply, type Started } from './harness.js';

const table = routes([
  { url: '/req.*', script: 'auto', login: 'required' },
  { url: '/admin.*', script: 'auto', login: 'admin' },
  { url: '/.*', script: 'auto' },
]);

function assertLoginRedirect(reply: Reply, location: string): void {
  assert.equal(reply.status, 302);
  assert.equal(reply.statusMessage, 'Requires login');
  assert.equal(reply.headers.location, location);
  assert.equal(reply.body, '');
}

describe('the development login round trip', () => {
  let server: Started;
  let origin: string;
  before(async () => {
    const app = express();
    app.use(devLoginPages());
    app.use(composedApp(table, [secure(), login({ users: devUserSource })]));
    server = await listen(app);
    origin = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  const get = (path: string, cookie?: string) => request(server.port, path, { headers: cookie ? { Cookie: cookie } : {} });
  const post = (path: string, form: Record<string, string>, cookie?: string) =>
    request(server.port, path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
      body: new URLSearchParams(form).toString(),
    });

  test('form → cookie → access → logout → redirected again', async () => {
    const first = await get('/req/page?x=1');
    const continueUrl = `${origin}/req/page?x=1`;
    assertLoginRedirect(first, `${origin}/_ah/login?continue=${pythonQuote(continueUrl)}`);

    const form = await get(new URL(first.headers.location!).pathname + new URL(first.headers.location!).search);
    assert.equal(form.status, 200);
    assert.equal(form.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(form.headers['content-security-policy'], "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
    assert.equal(form.headers['cache-control'], 'no-store');
    assert.match(form.body, /<form method="post" action="\/_ah\/login">/);
    assert.match(form.body, /<h3>Not logged in<\/h3>/);
    assert.ok(form.body.includes(`<input name="continue" type="hidden" value="${continueUrl.replace('&', '&amp;')}">`), form.body);
    assert.match(form.body, /<input name="admin" type="checkbox" value="True" id="admin">/);

    const signedIn = await post('/_ah/login', { email: 'test@example.com', action: 'Login', continue: continueUrl });
    assert.equal(signedIn.status, 302);
    assert.equal(signedIn.headers.location, continueUrl);
    assert.deepEqual(signedIn.headers['set-cookie'], ['dev_appserver_login="test@example.com:False:185804764220139124118"; Path=/; HttpOnly; SameSite=Lax']);
    const cookie = signedIn.headers['set-cookie']![0]!.split(';')[0]!;

    const page = await get('/req/page?x=1', cookie);
    assert.equal(page.status, 200);
    assert.deepEqual(JSON.parse(page.body).user, {
      email: 'test@example.com',
      userId: '185804764220139124118',
      nickname: 'test',
      organization: 'example.com',
      isAdmin: false,
      authDomain: 'gmail.com',
    });
    const denied = await get('/admin/x', cookie);
    assert.equal(denied.status, 401);
    assert.equal(denied.body, 'Current logged in user test@example.com is not authorized to view this page.');

    const again = await get('/_ah/login', cookie);
    assert.match(again.body, /<h3>Logged in as test@example\.com<\/h3>/);

    const out = await get('/_ah/logout?continue=/req/page', cookie);
    assert.equal(out.status, 302);
    assert.equal(out.headers.location, '/req/page');
    assert.deepEqual(out.headers['set-cookie'], ['dev_appserver_login=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax']);

    assertLoginRedirect(await get('/req/page'), `${origin}/_ah/login?continue=${pythonQuote(`${origin}/req/page`)}`);
  });

  test('signing in as an administrator, the SDK way (GET with query parameters)', async () => {
    const reply = await get('/_ah/login?email=Root%40Example.com&admin=True&action=Login&continue=%2Fadmin%2Fx');
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, '/admin/x');
    const cookie = reply.headers['set-cookie']![0]!.split(';')[0]!;
    assert.equal(cookie, `dev_appserver_login="Root@Example.com:True:${devUserId('root@example.com')}"`);
    const admin = await get('/admin/x', cookie);
    assert.equal(admin.status, 200);
    assert.equal(JSON.parse(admin.body).user.isAdmin, true);
  });

  test('action=Logout clears the cookie; without continue the form is next', async () => {
    const reply = await post('/_ah/login', { action: 'Logout' });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, '/_ah/login');
    assert.equal(reply.headers['set-cookie']![0]!, 'dev_appserver_login=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    const bare = await get('/_ah/logout');
    assert.equal(bare.headers.location, '/_ah/login');
    assert.match(bare.headers['set-cookie']![0]!, /Max-Age=0/);
  });

  test('Login without an email changes nothing; a malformed email is a 400', async () => {
    const empty = await post('/_ah/login', { action: 'Login', email: '', continue: '/x' });
    assert.equal(empty.status, 302);
    assert.equal(empty.headers['set-cookie'], undefined);
    for (const email of ['nobody', 'a:b@example.com', 'a@b@c', 'a b@example.com', 'a@', '@b', 'a;b@example.com', 'ä@example.com']) {
      const reply = await post('/_ah/login', { action: 'Login', email });
      assert.equal(reply.status, 400, email);
      assert.equal(reply.body, 'Bad Request: not an email address.\n');
      assert.equal(reply.headers['set-cookie'], undefined);
    }
  });

  test('continue is never an open redirect', async () => {
    const hostile = [
      '//evil.example',
      '//evil.example/path',
      '/\\evil.example',
      'https://evil.example/',
      `http://127.0.0.1:${server.port}@evil.example/`,
      `http://127.0.0.1:${server.port}.evil.example/`,
      'http://127.0.0.1/',
      'javascript:alert(1)',
      'data:text/html,x',
      'evil.example',
      ' /x',
      '/x\r\nSet-Cookie: a=b',
      '/\tx',
      '/\u00e9',
    ];
    for (const target of hostile) {
      const reply = await get(`/_ah/login?action=Login&email=a%40b.example&continue=${encodeURIComponent(target)}`);
      assert.equal(reply.status, 400, target);
      assert.equal(reply.body, 'Bad Request: continue must be a path or a URL on this site.\n');
      assert.equal(reply.headers.location, undefined);
      assert.equal(reply.headers['set-cookie'], undefined, target);
      const page = await get(`/_ah/login?continue=${encodeURIComponent(target)}`);
      assert.equal(page.status, 400, `form with ${target}`);
    }
  });

  test('same-site continue URLs are followed', async () => {
    for (const target of ['/x?y=1#z', `http://127.0.0.1:${server.port}/x`, `HTTPS://127.0.0.1:${server.port}?q`, `http://127.0.0.1:${server.port}`]) {
      const reply = await get(`/_ah/login?action=Logout&continue=${encodeURIComponent(target)}`);
      assert.equal(reply.status, 302, target);
      assert.equal(reply.headers.location, target);
    }
  });

  test('the form escapes what it shows', async () => {
    const page = await get(`/_ah/login?continue=${encodeURIComponent('/"><script>x</script>')}`);
    assert.equal(page.status, 200);
    assert.ok(page.body.includes('value="/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'));
    assert.ok(!page.body.includes('<script>'));
  });

  test('other methods, oversized forms and HEAD', async () => {
    const put = await request(server.port, '/_ah/login', { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, HEAD, POST');
    const big = await post('/_ah/login', { action: 'Login', email: 'a@b.example', pad: 'x'.repeat(20000) });
    assert.equal(big.status, 413);
    assert.equal(big.headers['set-cookie'], undefined);
    const head = await request(server.port, '/_ah/login', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 100);
  });

  test('the dev cookie: what counts as signed in', async () => {
    const cases: Array<[string, Partial<AppEngineUser> | null]> = [
      ['dev_appserver_login="a@b.example:True:123"', { email: 'a@b.example', isAdmin: true, userId: '123' }],
      ['dev_appserver_login=a@b.example:False:', { email: 'a@b.example', isAdmin: false, userId: devUserId('a@b.example') }],
      ['dev_appserver_login=a%40b.example%3ATrue%3A9', { email: 'a@b.example', isAdmin: true, userId: '9' }],
      ['dev_appserver_login=a@b.example:true:1', { email: 'a@b.example', isAdmin: false }],
      ['dev_appserver_login=a@b.example:True:x1', { email: 'a@b.example', userId: devUserId('a@b.example') }],
      ['dev_appserver_login="nobody:True:1"', null],
      ['dev_appserver_login=', null],
      ['dev_appserver_login=a%0d%0aX-Evil%3A%201@b.example:True:1', null],
      ['other=a@b.example:True:1', null],
    ];
    for (const [cookie, expected] of cases) {
      const reply = await get('/open', cookie);
      const user = JSON.parse(reply.body).user;
      if (expected === null) assert.equal(user, null, cookie);
      else for (const [key, value] of Object.entries(expected)) assert.equal(user[key], value, `${cookie}: ${key}`);
    }
  });
});
