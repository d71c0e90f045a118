import assert from 'node:assert/strict';
import http from 'node:http';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { secure, secureResponse } from '../../lib/handlers/secure.js';
import { login } from '../../lib/handlers/login/index.js';
import { composedApp, listen, rawRequest, request, routes, type Started } from './harness.js';

const table = routes([
  { url: '/always/301.*', script: 'auto', secure: 'always', redirect_http_response_code: 301 },
  { url: '/always/303.*', script: 'auto', secure: 'always', redirect_http_response_code: 303 },
  { url: '/always/307.*', script: 'auto', secure: 'always', redirect_http_response_code: 307 },
  { url: '/always/login', script: 'auto', secure: 'always', login: 'required' },
  { url: '/always.*', script: 'auto', secure: 'always' },
  { url: '/never/307.*', script: 'auto', secure: 'never', redirect_http_response_code: 307 },
  { url: '/never.*', script: 'auto', secure: 'never' },
  { url: '/optional.*', script: 'auto' },
  { url: '/.*', script: 'auto', secure: 'always' },
]);

const TEXT_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'content-security-policy': "default-src 'none'",
  'x-content-type-options': 'nosniff',
};

function assertRedirect(reply: { status: number; headers: http.IncomingHttpHeaders; body: string }, status: number, location: string): void {
  assert.equal(reply.status, status);
  assert.equal(reply.headers.location, location);
  for (const [name, value] of Object.entries(TEXT_HEADERS)) assert.equal(reply.headers[name], value, name);
  const scheme = location.startsWith('https:') ? 'https' : 'http';
  assert.equal(reply.body, `This page is served over ${scheme}.\n`);
  assert.equal(reply.headers['content-length'], String(Buffer.byteLength(reply.body)));
  assert.ok(!reply.body.includes('<') && !reply.body.includes('//'), 'no link in the body');
}

describe('secure over real HTTP (loopback peer trusted by default)', () => {
  let server: Started;
  before(async () => {
    const users = () => null;
    server = await listen(composedApp(table, [secure(), login({ users })]));
  });
  after(() => server.close());

  test('always over http: 302 to https, same host without its port, path, query kept', async () => {
    const reply = await request(server.port, '/always/p?a=1&b=2', { headers: { Host: 'Example.com:8080' } });
    assertRedirect(reply, 302, 'https://example.com/always/p?a=1&b=2');
  });

  test('redirect_http_response_code 301, 303 and 307 are used as the status', async () => {
    for (const code of [301, 303, 307]) {
      const reply = await request(server.port, `/always/${code}?x=1`, { headers: { Host: 'example.com' } });
      assertRedirect(reply, code, `https://example.com/always/${code}?x=1`);
    }
  });

  test('never over https: redirect to http with the query dropped', async () => {
    const headers = { Host: 'example.com', 'X-Forwarded-Proto': 'https' };
    assertRedirect(await request(server.port, '/never/p?a=1', { headers }), 302, 'http://example.com/never/p');
    assertRedirect(await request(server.port, '/never/307/p?a=1', { headers }), 307, 'http://example.com/never/307/p');
  });

  test('always over https and never over http are served', async () => {
    const https = await request(server.port, '/always/p', { headers: { Host: 'example.com', 'X-Forwarded-Proto': 'https' } });
    assert.equal(https.status, 200);
    assert.deepEqual(JSON.parse(https.body), { handler: '/always.*', scheme: 'https', user: null });
    const http1 = await request(server.port, '/never/p?a=1', { headers: { Host: 'example.com' } });
    assert.equal(http1.status, 200);
    assert.equal(JSON.parse(http1.body).scheme, 'http');
  });

  test('optional never redirects', async () => {
    for (const proto of ['http', 'https']) {
      const reply = await request(server.port, '/optional?q=1', { headers: { Host: 'example.com', 'X-Forwarded-Proto': proto } });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.location, undefined);
    }
  });

  test('X-AppEngine-Https: on from a trusted peer also means https', async () => {
    const reply = await request(server.port, '/always/p', { headers: { Host: 'example.com', 'X-AppEngine-Https': 'on' } });
    assert.equal(reply.status, 200);
  });

  test('a trusted proxy saying https gets no redirect (row 47: no loop)', async () => {
    const reply = await request(server.port, '/always/307', { method: 'POST', headers: { Host: 'example.com', 'X-Forwarded-Proto': 'https' }, body: 'x=1' });
    assert.equal(reply.status, 200);
  });

  test('secure is checked before login: http + login required goes to https first', async () => {
    const reply = await request(server.port, '/always/login?a=1', { headers: { Host: 'example.com' } });
    assertRedirect(reply, 302, 'https://example.com/always/login?a=1');
    const overHttps = await request(server.port, '/always/login?a=1', { headers: { Host: 'example.com', 'X-Forwarded-Proto': 'https' } });
    assert.equal(overHttps.status, 302);
    assert.equal(overHttps.headers.location, 'https://example.com/_ah/login?continue=https%3A//example.com/always/login%3Fa%3D1');
  });

  test('X-Forwarded-Host is never used for the Location (row 46)', async () => {
    const reply = await request(server.port, '/always/p', { headers: { Host: 'example.com', 'X-Forwarded-Host': 'evil.example' } });
    assertRedirect(reply, 302, 'https://example.com/always/p');
  });

  test('a POST is redirected like a GET, with the configured code', async () => {
    const post = await request(server.port, '/always/307/form', { method: 'POST', headers: { Host: 'example.com', 'Content-Type': 'text/plain' }, body: 'data' });
    assertRedirect(post, 307, 'https://example.com/always/307/form');
    const post302 = await request(server.port, '/always/form', { method: 'POST', headers: { Host: 'example.com' }, body: 'data' });
    assertRedirect(post302, 302, 'https://example.com/always/form');
  });

  test('leading slashes are collapsed (CVE-2015-1164) and the path is re-encoded, never raw', async () => {
    const slashes = await rawRequest(server.port, 'GET //evil.example/%2e%2e?x=%41 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    assert.equal(slashes.statusLine, 'HTTP/1.1 302 Found');
    assert.ok(slashes.headers.includes('Location: https://example.com/evil.example/%2e%2e?x=%41'), slashes.headers.join('\n'));
    const reply = await rawRequest(server.port, 'GET /always//evil.example/a"b<c>%zz%41?q=<x>#f HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    assert.equal(reply.statusLine, 'HTTP/1.1 302 Found');
    assert.ok(reply.headers.includes('Location: https://example.com/always//evil.example/a%22b%3Cc%3E%25zz%41?q=%3Cx%3E%23f'), reply.headers.join('\n'));
  });

  test('IPv6 literal hosts keep their brackets', async () => {
    const reply = await request(server.port, '/always/p', { headers: { Host: '[::1]:8080' } });
    assertRedirect(reply, 302, 'https://[::1]/always/p');
  });
});

describe('secure with an untrusted peer', () => {
  let server: Started;
  before(async () => {
    // Only 10.0.0.0/8 is trusted: the loopback client of this test is not.
    server = await listen(composedApp(table, [secure()], { trustProxy: ['10.0.0.0/8'] }));
  });
  after(() => server.close());

  test('a spoofed X-Forwarded-Proto: https is ignored and the request still redirected', async () => {
    for (const headers of [{ 'X-Forwarded-Proto': 'https' }, { 'X-AppEngine-Https': 'on' }] as Array<Record<string, string>>) {
      const reply = await request(server.port, '/always/p?a=1', { headers: { Host: 'example.com', ...headers } });
      assertRedirect(reply, 302, 'https://example.com/always/p?a=1');
    }
  });

  test('a spoofed X-Forwarded-Host is ignored', async () => {
    const reply = await request(server.port, '/always/p', { headers: { Host: 'example.com', 'X-Forwarded-Host': 'evil.example' } });
    assertRedirect(reply, 302, 'https://example.com/always/p');
  });
});

describe('secure: Host validation (rows 41, 43, 44)', () => {
  let server: Started;
  before(async () => {
    server = await listen(composedApp(table, [secure({ allowedHosts: ['example.com', 'WWW.example.com'] })]));
  });
  after(() => server.close());

  async function raw(hostLines: string, version = '1.1'): Promise<{ statusLine: string; headers: string[]; body: string }> {
    return rawRequest(server.port, `GET /always/p?a=1 HTTP/${version}\r\n${hostLines}Connection: close\r\n\r\n`);
  }

  function assertBadHost(reply: { statusLine: string; headers: string[]; body: string }, reason?: string): void {
    assert.match(reply.statusLine, /^HTTP\/1\.1 400 /);
    assert.ok(!reply.headers.some((h) => /^location:/i.test(h)), 'no Location');
    if (reason) assert.equal(reply.body, `Bad Request: ${reason}.\n`);
  }

  test('allow-listed hosts redirect, whatever their case, port or trailing dot', async () => {
    assertRedirect(await request(server.port, '/always/p', { headers: { Host: 'www.EXAMPLE.com:8080' } }), 302, 'https://www.example.com/always/p');
    assertRedirect(await request(server.port, '/always/p', { headers: { Host: 'example.com.' } }), 302, 'https://example.com./always/p');
  });

  test('a host outside the allow-list is a 400, not a redirect to it', async () => {
    assertBadHost(await raw('Host: evil.example\r\n'), 'host not allowed');
    assertBadHost(await raw('Host: example.com.evil.example\r\n'), 'host not allowed');
  });

  test('a missing Host is a 400 (HTTP/1.0 here; Node refuses HTTP/1.1 without Host itself)', async () => {
    assertBadHost(await raw('', '1.0'), 'no Host header');
    assertBadHost(await raw(''));
  });

  test('an empty Host is a 400, never https:///path', async () => {
    assertBadHost(await raw('Host:\r\n'), 'empty Host header');
    assertBadHost(await raw('Host: \r\n'), 'empty Host header');
  });

  test('two Host headers are a 400', async () => {
    assertBadHost(await raw('Host: example.com\r\nHost: evil.example\r\n'), 'more than one Host header');
    assertBadHost(await raw('Host: example.com\r\nhost: example.com\r\n'), 'more than one Host header');
  });

  test('user@host, bad characters and bad ports are a 400', async () => {
    for (const host of ['user@example.com', 'example.com@evil.example', 'example.com/evil', 'example.com\\evil', 'exa mple.com', 'example.com:', 'example.com:0', 'example.com:65536', 'example.com:8o', 'example.com:80:80', '[::1', '[fe80::1%25eth0]', '%65xample.com']) {
      const reply = await raw(`Host: ${host}\r\n`);
      assert.equal(reply.body, 'Bad Request: invalid Host header.\n', host);
      assertBadHost(reply);
    }
  });

  test('an absolute-form target naming another host than Host is a 400', async () => {
    const reply = await rawRequest(server.port, 'GET http://evil.example/always/p HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    assertBadHost(reply, 'the request target names another host than the Host header');
  });

  test('the process survives all of it and still serves', async () => {
    const reply = await request(server.port, '/optional', { headers: { Host: 'evil.example' } });
    assert.equal(reply.status, 200, 'the allow-list only matters when a URL is built');
  });
});

describe('secure options', () => {
  let server: Started;
  before(async () => {
    const outer = express();
    outer.use('/mount', composedApp(table, [secure({ httpsPort: 8443, httpPort: 8080 })]));
    server = await listen(outer);
  });
  after(() => server.close());

  test('httpsPort and httpPort are written for local development', async () => {
    assertRedirect(await request(server.port, '/mount/always/p?a=1', { headers: { Host: 'localhost:8080' } }), 302, 'https://localhost:8443/mount/always/p?a=1');
    const never = await request(server.port, '/mount/never/p?a=1', { headers: { Host: 'localhost:8443', 'X-Forwarded-Proto': 'https' } });
    assertRedirect(never, 302, 'http://localhost:8080/mount/never/p');
  });

  test('default ports are never written', () => {
    // secureResponse is pure: a request object is enough to exercise it.
    const req = new http.IncomingMessage(new Socket());
    req.rawHeaders = ['Host', 'example.com'];
    req.url = '/p';
    req.appEngine = { path: '/p', query: '', scheme: 'http', clientIp: '127.0.0.1' };
    const response = secureResponse({ secure: 'always', redirect_http_response_code: 302 }, req, { httpsPort: 443 });
    assert.equal(response?.headers.Location, 'https://example.com/p');
    assert.equal(secureResponse({ secure: 'optional', redirect_http_response_code: 302 }, req), undefined);
    assert.equal(secureResponse({ secure: 'never', redirect_http_response_code: 302 }, req), undefined);
  });

  test('bad options fail when the part is made', () => {
    assert.throws(() => secure({ httpsPort: 0 }), /httpsPort must be a port number/);
    assert.throws(() => secure({ httpPort: 70000 }), /httpPort must be a port number/);
    assert.throws(() => secure({ allowedHosts: ['example.com:443'] }), /allowedHosts: "example.com:443" is not a host name/);
    assert.throws(() => secure({ allowedHosts: ['*.example.com'] }), /is not a host name/);
  });
});

describe('secure with plain node:http', () => {
  let server: Started;
  before(async () => {
    const part = secure();
    const routed = routes([{ url: '/.*', script: 'auto', secure: 'always', redirect_http_response_code: 301 }]);
    server = await listen((req, res) => {
      req.appEngine = { path: '/x', query: '', scheme: 'http', clientIp: '127.0.0.1', route: routed.match('/x')! };
      part(req, res, () => res.end('served'));
    });
  });
  after(() => server.close());

  test('the middleware needs no framework', async () => {
    assertRedirect(await request(server.port, '/x?y', { headers: { Host: 'example.com' } }), 301, 'https://example.com/x?y');
  });
});
