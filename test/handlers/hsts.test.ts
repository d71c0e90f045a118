import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { hsts, hstsHeaderValue, HSTS_ONE_YEAR } from '../../lib/handlers/hsts.js';
import { secure } from '../../lib/handlers/secure.js';
import { composedApp, httpsRequest, listen, request, routes, selfSignedCertificate, type Started } from './harness.js';

describe('hstsHeaderValue', () => {
  test('defaults to one year, no subdomains, no preload', () => {
    assert.equal(HSTS_ONE_YEAR, 31536000);
    assert.equal(hstsHeaderValue(), 'max-age=31536000');
    assert.equal(hstsHeaderValue({ maxAge: 300 }), 'max-age=300');
    assert.equal(hstsHeaderValue({ maxAge: 0 }), 'max-age=0');
    assert.equal(hstsHeaderValue({ includeSubDomains: true }), 'max-age=31536000; includeSubDomains');
    assert.equal(hstsHeaderValue({ maxAge: 63072000, includeSubDomains: true, preload: true }), 'max-age=63072000; includeSubDomains; preload');
  });

  test('preload needs includeSubDomains and at least a year', () => {
    assert.throws(() => hstsHeaderValue({ preload: true }), /preload requires includeSubDomains and a maxAge of at least 31536000 seconds/);
    assert.throws(() => hstsHeaderValue({ preload: true, includeSubDomains: true, maxAge: 86400 }), /preload requires/);
  });

  test('maxAge must be a whole, non-negative number of seconds', () => {
    for (const maxAge of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '300' as unknown as number]) {
      assert.throws(() => hstsHeaderValue({ maxAge }), /hsts: maxAge must be a whole number of seconds/, String(maxAge));
      assert.throws(() => hsts({ maxAge }), /hsts: maxAge must be/);
    }
  });
});

const table = routes([
  { url: '/own-sts', static_dir: 'static', http_headers: { 'Strict-Transport-Security': 'max-age=5' } },
  { url: '/static', static_dir: 'static', http_headers: { 'X-Other': '1' } },
  { url: '/never', script: 'auto', secure: 'never' },
  { url: '/always', script: 'auto', secure: 'always' },
  { url: '/.*', script: 'auto' },
]);

describe('hsts over real HTTP', () => {
  let server: Started;
  let untrusted: Started;
  before(async () => {
    server = await listen(composedApp(table, [hsts({ includeSubDomains: true }), secure()]));
    untrusted = await listen(composedApp(table, [hsts()], { trustProxy: false }));
  });
  after(() => Promise.all([server.close(), untrusted.close()]));

  test('present on https (a trusted X-Forwarded-Proto)', async () => {
    const reply = await request(server.port, '/page', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  test('absent on http, including redirects to https (RFC 6797 §7.2)', async () => {
    const reply = await request(server.port, '/page');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['strict-transport-security'], undefined);
    const redirect = await request(server.port, '/always', { headers: { Host: 'example.com' } });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, 'https://example.com/always');
    assert.equal(redirect.headers['strict-transport-security'], undefined);
  });

  test('absent when an untrusted peer claims https', async () => {
    const reply = await request(untrusted.port, '/page', { headers: { 'X-Forwarded-Proto': 'https', 'X-AppEngine-Https': 'on' } });
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).scheme, 'http');
    assert.equal(reply.headers['strict-transport-security'], undefined);
  });

  test("a static handler's own Strict-Transport-Security wins for that handler", async () => {
    const own = await request(server.port, '/own-sts/a.css', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(own.headers['strict-transport-security'], 'max-age=5');
    const other = await request(server.port, '/static/a.css', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(other.headers['x-other'], '1');
    assert.equal(other.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  test('answers made by other parts carry it too (a redirect out of https)', async () => {
    const reply = await request(server.port, '/never', { headers: { Host: 'example.com', 'X-Forwarded-Proto': 'https' } });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'http://example.com/never');
    assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });
});

describe('hsts and writeHead', () => {
  let server: Started;
  before(async () => {
    const app = express();
    // Mounted before anything decided the scheme: the header is decided when it is written.
    app.use(hsts({ maxAge: 60 }));
    app.use((req: IncomingMessage, _res: ServerResponse, next: () => void) => {
      req.appEngine = { path: req.url ?? '/', query: '', scheme: 'https', clientIp: '127.0.0.1' };
      next();
    });
    app.get('/object', (_req, res) => {
      res.writeHead(200, { 'Strict-Transport-Security': 'max-age=1', 'Content-Type': 'text/plain' });
      res.end('object');
    });
    app.get('/array', (_req, res) => {
      res.writeHead(200, ['Strict-Transport-Security', 'max-age=2', 'Content-Type', 'text/plain']);
      res.end('array');
    });
    app.get('/plain', (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    app.get('/implicit', (_req, res) => {
      res.end('implicit');
    });
    server = await listen(app);
  });
  after(() => server.close());

  test('headers given to writeHead win, in object and array form', async () => {
    const object = await request(server.port, '/object');
    assert.equal(object.headers['strict-transport-security'], 'max-age=1');
    assert.equal(object.body, 'object');
    const array = await request(server.port, '/array');
    assert.equal(array.headers['strict-transport-security'], 'max-age=2');
    assert.equal(array.body, 'array');
  });

  test('explicit and implicit writeHead both get the header once', async () => {
    const plain = await request(server.port, '/plain');
    assert.equal(plain.status, 204);
    assert.equal(plain.headers['strict-transport-security'], 'max-age=60');
    const implicit = await request(server.port, '/implicit');
    assert.equal(implicit.headers['strict-transport-security'], 'max-age=60');
    assert.equal(implicit.body, 'implicit');
  });
});

describe('hsts on a TLS socket', () => {
  const certificate = selfSignedCertificate();

  test('a real https server gets the header from the socket alone', { skip: !certificate && 'no openssl' }, async () => {
    const part = hsts();
    const server = await listen(
      https.createServer(certificate!, (req, res) => {
        part(req, res, () => res.end('tls'));
      }),
    );
    try {
      const reply = await httpsRequest(server.port, '/');
      assert.equal(reply.body, 'tls');
      assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000');
    } finally {
      await server.close();
    }
  });
});
