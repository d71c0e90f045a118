import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { echoHandler, get, rawRequest, startServer, type TestServer } from './envelope-harness.js';

describe('envelope: the request path, as wired through envelope()', { timeout: 10_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(echoHandler, { limits: { pathLength: 64 } });
  });
  after(() => server.close());

  const rejected: Array<[string, number]> = [
    ['/static/%2e%2e/app.yaml', 400],
    ['/static/%2e%2E/x', 400],
    ['/static/..%2fapp.yaml', 400],
    ['/static/.%%32%65/x', 400],
    ['/static/%c0%ae%c0%ae/app.yaml', 400],
    ['/static/%00', 400],
    ['/static/a.txt%00.png', 400],
    ['/static/a%5cb', 400],
    ['/static/a\\b', 400],
    ['/%', 400],
    [`/${'a'.repeat(64)}`, 414],
  ];
  for (const [target, status] of rejected) {
    it(`${target.slice(0, 40)} → ${status}, and the app is never called`, async () => {
      const before = server.handled;
      const res = await rawRequest(server.port, get(target));
      assert.equal(res.status, status);
      assert.equal(server.handled, before);
    });
  }

  it('a path of exactly the configured length is served', async () => {
    const res = await rawRequest(server.port, get(`/${'a'.repeat(63)}`));
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).appEngine.path, `/${'a'.repeat(63)}`);
  });

  it('the path limit counts the raw path, not the query', async () => {
    const res = await rawRequest(server.port, get(`/short?${'q'.repeat(200)}`));
    assert.equal(res.status, 200);
  });

  it('a literal .. segment → 302 to the normalised path, query kept', async () => {
    const before = server.handled;
    const res = await rawRequest(server.port, get('/a/../b?q=1&r=%2F'));
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/b?q=1&r=%2F');
    assert.equal(server.handled, before);
  });

  it('a literal . segment → 302, repeated slashes kept', async () => {
    const res = await rawRequest(server.port, get('/a//./b'));
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/a//b');
  });

  it('decodes exactly once: %252e stays %2e for the app', async () => {
    const res = await rawRequest(server.port, get('/static/%252e%252e/x?y=%20'));
    assert.equal(res.status, 200);
    const facts = JSON.parse(res.body).appEngine;
    assert.equal(facts.path, '/static/%2e%2e/x');
    assert.equal(facts.query, 'y=%20');
  });

  it('a rejected path is still logged with its request id', async () => {
    await rawRequest(server.port, get('/bad/%zz'));
    const line = server.logs.find((l) => (l.httpRequest as { requestUrl: string }).requestUrl.endsWith('/bad/%zz'));
    assert.ok(line, 'request line logged');
    assert.equal((line.httpRequest as { status: number }).status, 400);
    assert.match(String(line.requestId), /^[0-9a-f]{32}$/);
  });

  it('a body sent with a rejected path does not keep the connection for draining', async () => {
    const res = await rawRequest(
      server.port,
      'POST /a/%2e%2e/b HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000000\r\n\r\nabc',
    );
    assert.equal(res.status, 400);
    assert.equal(res.headers.connection, 'close');
  });
});
