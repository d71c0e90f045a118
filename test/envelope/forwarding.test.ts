import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { compileForwarding, type Forwarded, type ForwardingOptions } from '../../lib/envelope/forwarding.js';
import { httpsRequest, listen, request, selfSignedCertificate, type Started } from '../handlers/harness.js';

/**
 * Every server here answers with what `compileForwarding` decided. The client is always
 * 127.0.0.1, so an untrusted peer is simulated by a trust setting that leaves loopback out.
 */
const servers: Started[] = [];

async function serve(options?: ForwardingOptions): Promise<(headers?: Record<string, string>) => Promise<Forwarded>> {
  const decide = compileForwarding(options);
  const server = await listen((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(decide(req)));
  });
  servers.push(server);
  return async (headers = {}) => {
    const reply = await request(server.port, '/', { headers });
    assert.equal(reply.status, 200);
    return JSON.parse(reply.body) as Forwarded;
  };
}

after(() => Promise.all(servers.map((s) => s.close())));

describe('defaults: loopback trusted, X-Forwarded-Proto: https and X-AppEngine-Https: on', () => {
  let ask: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    ask = await serve();
  });

  test('no headers: the socket decides', async () => {
    assert.deepEqual(await ask(), { scheme: 'http', clientIp: '127.0.0.1', viaTrustedProxy: true });
  });

  test('X-Forwarded-Proto decides the scheme, case-insensitively', async () => {
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https' })).scheme, 'https');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'HTTPS' })).scheme, 'https');
    assert.equal((await ask({ 'X-Forwarded-Proto': ' https ' })).scheme, 'https');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'http' })).scheme, 'http');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'wss' })).scheme, 'http');
    assert.equal((await ask({ 'X-Forwarded-Proto': '' })).scheme, 'http');
  });

  test('X-AppEngine-Https: on also means https; the first configured header present decides', async () => {
    assert.equal((await ask({ 'X-AppEngine-Https': 'on' })).scheme, 'https');
    assert.equal((await ask({ 'X-AppEngine-Https': 'off' })).scheme, 'http');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'http', 'X-AppEngine-Https': 'on' })).scheme, 'http');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https', 'X-AppEngine-Https': 'off' })).scheme, 'https');
  });

  test('X-Forwarded-For gives the client: the first address the trusted peer did not vouch for', async () => {
    assert.equal((await ask({ 'X-Forwarded-For': '203.0.113.7' })).clientIp, '203.0.113.7');
    // 198.51.100.1 came from beyond the untrusted 203.0.113.7: it is not believed.
    assert.equal((await ask({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' })).clientIp, '203.0.113.7');
    assert.equal((await ask({ 'X-Forwarded-For': '198.51.100.1, 127.0.0.2' })).clientIp, '198.51.100.1');
  });

  test('a list of schemes: the entry the trusted proxy appended is the one believed', async () => {
    // The client sent "https" over http; the (appending) proxy added "http".
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https, http' })).scheme, 'http');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'http, https' })).scheme, 'https');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https,http', 'X-Forwarded-For': '203.0.113.7' })).scheme, 'http');
  });
});

describe('untrusted peers: forwarding headers are ignored', () => {
  test('a list of addresses and CIDRs without the peer', async () => {
    const ask = await serve({ trustProxy: ['10.0.0.0/8', '192.168.1.1'] });
    const spoofed = { 'X-Forwarded-Proto': 'https', 'X-AppEngine-Https': 'on', 'X-Forwarded-For': '203.0.113.7' };
    assert.deepEqual(await ask(spoofed), { scheme: 'http', clientIp: '127.0.0.1', viaTrustedProxy: false });
  });

  test('a trust function that refuses 127.0.0.1', async () => {
    const seen: Array<[string, number]> = [];
    const ask = await serve({
      trustProxy: (address, hop) => {
        seen.push([address, hop]);
        return address !== '127.0.0.1';
      },
    });
    assert.deepEqual(await ask({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '10.0.0.1' }), { scheme: 'http', clientIp: '127.0.0.1', viaTrustedProxy: false });
    assert.deepEqual(seen, [['127.0.0.1', 0]]);
  });

  test('false and 0 hops trust nobody', async () => {
    for (const trustProxy of [false, 0]) {
      const ask = await serve({ trustProxy });
      assert.deepEqual(await ask({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' }), { scheme: 'http', clientIp: '127.0.0.1', viaTrustedProxy: false });
    }
  });
});

describe('trusted chains', () => {
  test('a number of hops', async () => {
    const one = await serve({ trustProxy: 1 });
    assert.deepEqual(await one({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.7', 'X-Forwarded-Proto': 'https' }), {
      scheme: 'https',
      clientIp: '203.0.113.7',
      viaTrustedProxy: true,
    });
    const two = await serve({ trustProxy: 2 });
    const reply = await two({ 'X-Forwarded-For': '192.0.2.66, 198.51.100.1, 10.0.0.2', 'X-Forwarded-Proto': 'https, http' });
    // Two trusted proxies: the outer one (10.0.0.2) wrote "https" for the client 198.51.100.1.
    assert.deepEqual(reply, { scheme: 'https', clientIp: '198.51.100.1', viaTrustedProxy: true });
    // Three entries: the leftmost came from the client itself and is not believed.
    assert.equal((await two({ 'X-Forwarded-For': '198.51.100.1, 10.0.0.2', 'X-Forwarded-Proto': 'https, http, https' })).scheme, 'http');
    // A chain that overwrote the header leaves one entry, written by a trusted proxy.
    assert.equal((await two({ 'X-Forwarded-For': '198.51.100.1, 10.0.0.2', 'X-Forwarded-Proto': 'https' })).scheme, 'https');
  });

  test('CIDRs, as a comma-separated string', async () => {
    const ask = await serve({ trustProxy: '127.0.0.0/8, 10.0.0.0/8' });
    const reply = await ask({ 'X-Forwarded-For': '192.0.2.66, 203.0.113.5, 10.1.2.3', 'X-Forwarded-Proto': 'https, http' });
    assert.deepEqual(reply, { scheme: 'https', clientIp: '203.0.113.5', viaTrustedProxy: true });
  });

  test('named ranges as Express knows them', async () => {
    const ask = await serve({ trustProxy: ['loopback', 'uniquelocal'] });
    assert.deepEqual(await ask({ 'X-Forwarded-For': '203.0.113.5, 192.168.0.10', 'X-Forwarded-Proto': 'https' }), {
      scheme: 'https',
      clientIp: '203.0.113.5',
      viaTrustedProxy: true,
    });
  });

  test("'*' and true trust every hop: the leftmost address is the client", async () => {
    for (const trustProxy of ['*', true] as const) {
      const ask = await serve({ trustProxy });
      assert.deepEqual(await ask({ 'X-Forwarded-For': '203.0.113.5, 198.51.100.2', 'X-Forwarded-Proto': 'https' }), {
        scheme: 'https',
        clientIp: '203.0.113.5',
        viaTrustedProxy: true,
      });
    }
  });

  test('bad trust settings fail when compiled', () => {
    assert.throws(() => compileForwarding({ trustProxy: 'not-an-address' }), /invalid IP address/);
    assert.throws(() => compileForwarding({ trustProxy: ['10.0.0.0/33'] }), /invalid range/);
  });
});

describe('custom secure scheme headers (gunicorn secure_scheme_headers)', () => {
  test("{ 'X-APPENGINE-HTTPS': 'on' } alone: X-Forwarded-Proto means nothing", async () => {
    const ask = await serve({ secureSchemeHeaders: { 'X-APPENGINE-HTTPS': 'on' } });
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https' })).scheme, 'http');
    assert.equal((await ask({ 'X-AppEngine-Https': 'on' })).scheme, 'https');
    assert.equal((await ask({ 'x-appengine-https': 'ON' })).scheme, 'https');
    assert.equal((await ask({ 'X-AppEngine-Https': 'off' })).scheme, 'http');
  });

  test('any header and value', async () => {
    const ask = await serve({ secureSchemeHeaders: { 'X-Forwarded-Ssl': 'on', 'Front-End-Https': 'On' } });
    assert.equal((await ask({ 'X-Forwarded-Ssl': 'on' })).scheme, 'https');
    assert.equal((await ask({ 'Front-End-Https': 'on' })).scheme, 'https');
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https' })).scheme, 'http');
  });

  test('no secure headers: only the socket counts', async () => {
    const ask = await serve({ secureSchemeHeaders: {} });
    assert.equal((await ask({ 'X-Forwarded-Proto': 'https', 'X-AppEngine-Https': 'on' })).scheme, 'http');
  });
});

describe('TLS sockets', () => {
  const certificate = selfSignedCertificate();

  test('a TLS connection is https even from an untrusted peer, and headers cannot downgrade it there', { skip: !certificate && 'no openssl' }, async () => {
    const decide = compileForwarding({ trustProxy: false });
    const server = await listen(
      https.createServer(certificate!, (req, res) => {
        res.end(JSON.stringify(decide(req)));
      }),
    );
    servers.push(server);
    const reply = await httpsRequest(server.port, '/', { 'X-Forwarded-Proto': 'http' });
    assert.deepEqual(JSON.parse(reply.body), { scheme: 'https', clientIp: '127.0.0.1', viaTrustedProxy: false });
  });
});
