import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertAllowedHosts, checkHost } from '../../lib/envelope/host.js';
import { listen, rawRequest, request, type Started } from '../handlers/harness.js';

describe('checkHost over real HTTP', () => {
  let server: Started;
  before(async () => {
    server = await listen((req, res) => {
      const allowed = req.headers['x-allowed'];
      const allowedHosts = typeof allowed === 'string' ? allowed.split(',') : undefined;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ check: checkHost(req, { allowedHosts }), nodeHost: req.headers.host ?? null }));
    });
  });
  after(() => server.close());

  async function check(hostLines: string, target = '/', extra = ''): Promise<{ check: unknown; nodeHost: string | null }> {
    const reply = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\n${hostLines}${extra}Connection: close\r\n\r\n`);
    assert.equal(reply.statusLine, 'HTTP/1.1 200 OK');
    return JSON.parse(reply.body);
  }

  test('names, ports and addresses are split and lower-cased', async () => {
    const cases: Array<[string, object]> = [
      ['example.com', { hostname: 'example.com', authority: 'example.com' }],
      ['Example.COM:8080', { hostname: 'example.com', port: 8080, authority: 'example.com:8080' }],
      ['example.com:080', { hostname: 'example.com', port: 80, authority: 'example.com:80' }],
      ['localhost', { hostname: 'localhost', authority: 'localhost' }],
      ['127.0.0.1:3000', { hostname: '127.0.0.1', port: 3000, authority: '127.0.0.1:3000' }],
      ['[::1]', { hostname: '[::1]', authority: '[::1]' }],
      ['[2001:DB8::1]:443', { hostname: '[2001:db8::1]', port: 443, authority: '[2001:db8::1]:443' }],
      ['[::ffff:127.0.0.1]', { hostname: '[::ffff:127.0.0.1]', authority: '[::ffff:127.0.0.1]' }],
      ['my_host.internal.', { hostname: 'my_host.internal.', authority: 'my_host.internal.' }],
      ['xn--bcher-kva.example', { hostname: 'xn--bcher-kva.example', authority: 'xn--bcher-kva.example' }],
    ];
    for (const [host, expected] of cases) {
      const { check: result } = await check(`Host: ${host}\r\n`);
      // JSON drops `port: undefined`.
      assert.deepEqual(result, { ok: true, host: expected }, host);
    }
  });

  test('invalid hosts are refused with a reason', async () => {
    const invalid = [
      'user@example.com',
      'user:pass@example.com',
      'example.com/path',
      'example.com?x',
      'example.com#x',
      'example.com\\x',
      'exa mple.com',
      'exa%6Dple.com',
      'example..com',
      '-example.com',
      'example-.com',
      '.example.com',
      'example.com:',
      'example.com:0',
      'example.com:65536',
      'example.com:123456',
      'example.com:-1',
      'example.com:+80',
      'example.com: 80',
      '[::1',
      '::1',
      '[::1]x',
      '[::g]',
      '[fe80::1%25eth0]',
      '[127.0.0.1]',
      `${'a'.repeat(64)}.example`,
      `${'a.'.repeat(130)}com`,
      'ex\u00e4mple.com',
    ];
    for (const host of invalid) {
      const { check: result } = await check(`Host: ${host}\r\n`);
      assert.deepEqual(result, { ok: false, reason: 'invalid Host header' }, host);
    }
  });

  test('missing, empty and doubled Host headers are refused', async () => {
    assert.deepEqual((await check('Host:\r\n')).check, { ok: false, reason: 'empty Host header' });
    const doubled = await check('Host: example.com\r\nHOST: evil.example\r\n');
    assert.deepEqual(doubled.check, { ok: false, reason: 'more than one Host header' });
    // Why rawHeaders: Node keeps only the first Host in req.headers.
    assert.equal(doubled.nodeHost, 'example.com');
    const http10 = await rawRequest(server.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.deepEqual(JSON.parse(http10.body).check, { ok: false, reason: 'no Host header' });
  });

  test('Node itself answers 400 to HTTP/1.1 without Host', async () => {
    const reply = await rawRequest(server.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(reply.statusLine, /^HTTP\/1\.1 400 /);
  });

  test('X-Forwarded-Host is not consulted', async () => {
    const { check: result } = await check('Host: example.com\r\n', '/', 'X-Forwarded-Host: evil.example\r\n');
    assert.deepEqual(result, { ok: true, host: { hostname: 'example.com', authority: 'example.com' } });
  });

  test('an absolute-form target must name the same host', async () => {
    const same = await check('Host: example.com:8080\r\n', 'http://EXAMPLE.com:8080/p');
    assert.equal((same.check as { ok: boolean }).ok, true);
    const other = await check('Host: example.com\r\n', 'http://evil.example/p');
    assert.deepEqual(other.check, { ok: false, reason: 'the request target names another host than the Host header' });
    const userinfo = await check('Host: example.com\r\n', 'http://example.com@evil.example/p');
    assert.equal((userinfo.check as { ok: boolean }).ok, false);
  });

  test('the allow-list compares names exactly, ignoring case, port and a trailing dot', async () => {
    const allowed = 'X-Allowed: example.com,API.example.com\r\n';
    for (const host of ['example.com', 'EXAMPLE.com:8443', 'api.example.com', 'example.com.']) {
      assert.equal(((await check(`Host: ${host}\r\n`, '/', allowed)).check as { ok: boolean }).ok, true, host);
    }
    for (const host of ['evil.example', 'www.example.com', 'example.com.evil.example', 'evilexample.com', '127.0.0.1']) {
      assert.deepEqual((await check(`Host: ${host}\r\n`, '/', allowed)).check, { ok: false, reason: 'host not allowed' }, host);
    }
  });

  test('a client-side HTTP request passes', async () => {
    const reply = await request(server.port, '/');
    assert.equal(JSON.parse(reply.body).check.host.authority, `127.0.0.1:${server.port}`);
  });
});

describe('assertAllowedHosts', () => {
  test('accepts host names and bracketed IPv6 addresses', () => {
    assert.doesNotThrow(() => assertAllowedHosts(['example.com', 'LOCALHOST', '127.0.0.1', '[::1]', 'example.com.']));
    assert.doesNotThrow(() => assertAllowedHosts(undefined));
  });

  test('refuses what cannot be a host name', () => {
    for (const entry of ['example.com:80', 'https://example.com', '*.example.com', '.example.com', '', '::1', 'example.com/']) {
      assert.throws(() => assertAllowedHosts([entry]), new RegExp(`allowedHosts: ${JSON.stringify(entry).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a host name`), entry);
    }
    assert.throws(() => assertAllowedHosts([42 as unknown as string]), /allowedHosts: 42 is not a host name/);
  });
});
