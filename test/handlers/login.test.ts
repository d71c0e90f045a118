import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { loadAppYaml } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/config/errors.js';
import type { AppEngineUser } from '../../lib/envelope/context.js';
import { secure } from '../../lib/handlers/secure.js';
import {
  assertLoginSupported,
  devLoginCookie,
  devUserId,
  devUserSource,
  login,
  pythonQuote,
  userEnvironment,
  userHeaders,
  type UserSource,
} from '../../lib/handlers/login/index.js';
import { composedApp, listen, rawRequest, request, routes, type Reply, type Started } from './harness.js';

const table = routes([
  { url: '/req/unauthorized', script: 'auto', login: 'required', auth_fail_action: 'unauthorized' },
  { url: '/req.*', script: 'auto', login: 'required' },
  { url: '/admin/unauthorized', script: 'auto', login: 'admin', auth_fail_action: 'unauthorized' },
  { url: '/admin.*', script: 'auto', login: 'admin' },
  { url: '/static', static_dir: 'static', login: 'required', auth_fail_action: 'unauthorized' },
  { url: '/secure-login', script: 'auto', login: 'required', secure: 'always' },
  { url: '/files', static_dir: 'files' },
  { url: '/.*', script: 'auto' },
]);

/** A user source driven by a test header, so each request can be anyone. */
const headerUsers: UserSource = async (req) => {
  const who = req.headers['x-test-user'];
  if (who === 'boom') throw new Error('user store down');
  if (typeof who !== 'string') return null;
  const [email = '', admin] = who.split(' ');
  return { email, userId: '42', nickname: email.split('@')[0]!, isAdmin: admin === 'admin' };
};

function assertNotAuthorized(reply: Reply, body: string): void {
  assert.equal(reply.status, 401);
  assert.equal(reply.statusMessage, 'Not authorized');
  assert.equal(reply.headers['content-type'], 'text/html');
  assert.equal(reply.headers['cache-control'], 'no-cache');
  assert.equal(reply.body, body);
  assert.equal(reply.headers.location, undefined);
}

function assertLoginRedirect(reply: Reply, location: string): void {
  assert.equal(reply.status, 302);
  assert.equal(reply.statusMessage, 'Requires login');
  assert.equal(reply.headers.location, location);
  assert.equal(reply.body, '');
}

describe('login and auth_fail_action (spec §2.7)', () => {
  let server: Started;
  before(async () => {
    server = await listen(composedApp(table, [secure(), login({ users: headerUsers })]));
  });
  after(() => server.close());

  const at = (path: string, user?: string, headers: Record<string, string> = {}) =>
    request(server.port, path, { headers: { Host: 'localhost:8080', ...(user ? { 'X-Test-User': user } : {}), ...headers } });

  test('required + redirect, signed out: 302 Requires login with the quoted continue URL', async () => {
    assertLoginRedirect(await at('/req/p?a=1&b=2'), 'http://localhost:8080/_ah/login?continue=http%3A//localhost%3A8080/req/p%3Fa%3D1%26b%3D2');
  });

  test('the continue URL keeps the scheme, quotes like urllib.quote and re-encodes the path', async () => {
    const reply = await at('/req/a%20b/~x?q=%C3%A9&r', undefined, { 'X-Forwarded-Proto': 'https' });
    assertLoginRedirect(reply, 'https://localhost:8080/_ah/login?continue=https%3A//localhost%3A8080/req/a%2520b/%7Ex%3Fq%3D%25C3%25A9%26r');
  });

  test('required + unauthorized, signed out: 401 Login required', async () => {
    assertNotAuthorized(await at('/req/unauthorized'), 'Login required to view page.');
  });

  test('required, signed in: served, and the user is on req.appEngine', async () => {
    const reply = await at('/req/p', 'ann@example.com');
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body).user, { email: 'ann@example.com', userId: '42', nickname: 'ann', isAdmin: false });
  });

  test('admin, signed out: like required (redirect, or 401 Login required)', async () => {
    assertLoginRedirect(await at('/admin/x'), 'http://localhost:8080/_ah/login?continue=http%3A//localhost%3A8080/admin/x');
    assertNotAuthorized(await at('/admin/unauthorized'), 'Login required to view page.');
  });

  test('admin, signed in as a non-admin: 401 naming the user, whatever auth_fail_action says', async () => {
    const body = 'Current logged in user ann@example.com is not authorized to view this page.';
    assertNotAuthorized(await at('/admin/x', 'ann@example.com'), body);
    assertNotAuthorized(await at('/admin/unauthorized', 'ann@example.com'), body);
  });

  test('the email in the 401 is escaped (and ASCII)', async () => {
    const reply = await at('/admin/x', '"><script>alert(1)</script>@ex\u00e4mple.com');
    assertNotAuthorized(reply, 'Current logged in user &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@ex&#xe4;mple.com is not authorized to view this page.');
  });

  test('admin, signed in as an admin: served', async () => {
    const reply = await at('/admin/x', 'root@example.com admin');
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).user.isAdmin, true);
  });

  test('optional: served either way; the user is still looked up for the backend', async () => {
    const anonymous = await at('/open');
    assert.equal(anonymous.status, 200);
    assert.equal(JSON.parse(anonymous.body).user, null);
    assert.equal(JSON.parse((await at('/open', 'ann@example.com')).body).user.email, 'ann@example.com');
  });

  test('login applies to static handlers too', async () => {
    assertNotAuthorized(await at('/static/a.css'), 'Login required to view page.');
    assert.equal((await at('/static/a.css', 'ann@example.com')).status, 200);
  });

  test('an optional static file does not look the user up; an optional script does', async () => {
    const file = await at('/files/a.css', 'boom');
    assert.equal(file.status, 200);
    assert.equal(JSON.parse(file.body).user, null);
    assert.equal((await at('/open', 'boom')).status, 500);
  });

  test('secure is checked first: http goes to https before any login redirect', async () => {
    const reply = await at('/secure-login?x=1');
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'https://localhost/secure-login?x=1');
  });

  test('a failing user source is the request error (500), and the server goes on', async () => {
    const reply = await at('/req/p', 'boom');
    assert.equal(reply.status, 500);
    assert.equal((await at('/req/p', 'ann@example.com')).status, 200);
  });

  test('an unusable Host gives 400 instead of a login redirect', async () => {
    const reply = await rawRequest(server.port, 'GET /req/p HTTP/1.1\r\nHost: a@evil.example\r\nConnection: close\r\n\r\n');
    assert.match(reply.statusLine, /^HTTP\/1\.1 400 /);
    assert.equal(reply.body, 'Bad Request: invalid Host header.\n');
  });
});

describe('login options', () => {
  let server: Started;
  before(async () => {
    server = await listen(composedApp(table, [login({ users: () => null, loginUrl: 'https://accounts.example/signin?app=7', allowedHosts: ['app.example'] })]));
  });
  after(() => server.close());

  test('an absolute loginUrl gets continue appended', async () => {
    const reply = await request(server.port, '/req/p?a=1', { headers: { Host: 'app.example' } });
    assertLoginRedirect(reply, 'https://accounts.example/signin?app=7&continue=http%3A//app.example/req/p%3Fa%3D1');
  });

  test('the allow-list applies to the login redirect', async () => {
    const reply = await request(server.port, '/req/p', { headers: { Host: 'evil.example' } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body, 'Bad Request: host not allowed.\n');
  });

  test('bad loginUrl values fail when the part is made', () => {
    for (const loginUrl of ['login', '//evil.example/login', '/\\evil', 'javascript:alert(1)', 'ftp://x/', '/a b']) {
      assert.throws(() => login({ users: () => null, loginUrl }), /loginUrl must be a path/, loginUrl);
    }
  });
});

describe('user headers and variables for backends', () => {
  const ann: AppEngineUser = { email: 'ann@example.com', userId: '185804764220139124118', nickname: 'ann', isAdmin: false, organization: 'example.com' };

  test('userHeaders', () => {
    assert.deepEqual(userHeaders(ann), {
      'X-AppEngine-User-Email': 'ann@example.com',
      'X-AppEngine-User-Id': '185804764220139124118',
      'X-AppEngine-User-Nickname': 'ann',
      'X-AppEngine-User-Organization': 'example.com',
      'X-AppEngine-User-Is-Admin': '0',
      'X-AppEngine-Auth-Domain': 'gmail.com',
    });
    assert.equal(userHeaders({ ...ann, isAdmin: true, authDomain: 'example.com' })['X-AppEngine-User-Is-Admin'], '1');
    assert.deepEqual(userHeaders(null), {});
    assert.deepEqual(userHeaders(undefined), {});
  });

  test('userEnvironment', () => {
    assert.deepEqual(userEnvironment({ ...ann, isAdmin: true }), {
      USER_EMAIL: 'ann@example.com',
      USER_ID: '185804764220139124118',
      USER_NICKNAME: 'ann',
      USER_ORGANIZATION: 'example.com',
      USER_IS_ADMIN: '1',
      AUTH_DOMAIN: 'gmail.com',
    });
    assert.deepEqual(userEnvironment(null), { USER_EMAIL: '', USER_ID: '', USER_NICKNAME: '', USER_ORGANIZATION: '', USER_IS_ADMIN: '0', AUTH_DOMAIN: 'gmail.com' });
  });

  describe('over HTTP, with whatever a user source returns', () => {
    let server: Started;
    const nasty: AppEngineUser = { email: 'a\r\nX-Injected: 1@b.example', userId: '1\u0000', nickname: 'J\u00f6rg \u2603', isAdmin: false };
    before(async () => {
      server = await listen((_req: IncomingMessage, res: ServerResponse) => {
        for (const [name, value] of Object.entries(userHeaders(nasty))) res.setHeader(name, value);
        // A Buffer body: with a string body Node writes the head as UTF-8 too, re-encoding these bytes.
        res.end(Buffer.from(JSON.stringify(userEnvironment(nasty))));
      });
    });
    after(() => server.close());

    test('control characters are dropped and non-ASCII goes as UTF-8 bytes', async () => {
      const reply = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(reply.statusLine, 'HTTP/1.1 200 OK');
      assert.ok(reply.headers.includes('X-AppEngine-User-Email: aX-Injected: 1@b.example'));
      assert.ok(!reply.headers.some((h) => h.startsWith('X-Injected')));
      assert.ok(reply.headers.includes('X-AppEngine-User-Id: 1'));
      const nickname = reply.headers.find((h) => h.startsWith('X-AppEngine-User-Nickname: '))!;
      assert.equal(Buffer.from(nickname, 'latin1').toString('utf8'), 'X-AppEngine-User-Nickname: J\u00f6rg \u2603');
      const body = JSON.parse(Buffer.from(reply.body, 'latin1').toString('utf8'));
      assert.equal(body.USER_NICKNAME, 'J\u00f6rg \u2603');
      assert.equal(body.USER_EMAIL, 'aX-Injected: 1@b.example');
    });
  });
});

describe('assertLoginSupported', () => {
  const config = loadAppYaml({
    root: '/nonexistent',
    config: 'runtime: python312\nhandlers:\n- url: /open\n  script: auto\n- url: /admin\n  script: auto\n  login: admin\n- url: /s\n  static_dir: s\n  login: required\n',
  });

  test('production without a user source fails at load, naming every such handler', () => {
    assert.throws(
      () => assertLoginSupported(config, { mode: 'production' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.problems.map((p) => [p.line, p.column, p.path]),
          [
            [5, 3, 'handlers[1].login'],
            [8, 3, 'handlers[2].login'],
          ],
        );
        assert.match(err.message, /app\.yaml:5:3: handlers\[1\]\.login: login: admin needs a user source in production; pass `users`/);
        assert.match(err.message, /app\.yaml:8:3: handlers\[2\]\.login: login: required needs a user source/);
        return true;
      },
    );
  });

  test('the user source to use otherwise', () => {
    const users: UserSource = () => null;
    assert.equal(assertLoginSupported(config, { mode: 'production', users }), users);
    assert.equal(assertLoginSupported(config, { mode: 'development' }), devUserSource);
    assert.equal(assertLoginSupported(config, { mode: 'development', users }), users);
    const open = loadAppYaml({ root: '/nonexistent', config: { runtime: 'python312', handlers: [{ url: '/.*', script: 'auto' }] } });
    assert.equal(assertLoginSupported(open, { mode: 'production' }), undefined);
  });
});

describe('pieces', () => {
  test('pythonQuote is urllib.quote(s, safe="/") of Python 2', () => {
    assert.equal(pythonQuote('http://localhost:8080/p?a=1&b=2'), 'http%3A//localhost%3A8080/p%3Fa%3D1%26b%3D2');
    assert.equal(pythonQuote('AZaz09_.-/~ !*\'()%'), 'AZaz09_.-/%7E%20%21%2A%27%28%29%25');
    assert.equal(pythonQuote('\u00e9\u2603'), '%C3%A9%E2%98%83');
    assert.equal(pythonQuote('\ud800'), '%EF%BF%BD');
  });

  test('devUserId is the dev server rule (values from Python)', () => {
    assert.equal(devUserId('test@example.com'), '185804764220139124118');
    assert.equal(devUserId('TEST@Example.COM'), '185804764220139124118');
    assert.equal(devUserId('admin@example.com'), '123076125137242107209');
  });

  test('devLoginCookie is quoted like the dev server writes it', () => {
    assert.equal(devLoginCookie('a@b.example', true), `dev_appserver_login="a@b.example:True:${devUserId('a@b.example')}"; Path=/; HttpOnly; SameSite=Lax`);
  });
});
