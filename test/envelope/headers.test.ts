import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { envelope } from '../../lib/envelope/index.js';
import { jsonLogger } from '../../lib/envelope/logger.js';
import { echoHandler, get, rawRequest, startServer, type TestServer } from './envelope-harness.js';

interface Seen {
  headers: Record<string, string>;
  rawHeaders: string[];
  appEngine: Record<string, unknown>;
}

async function see(server: TestServer, headers: string[], target = '/'): Promise<Seen> {
  const res = await rawRequest(server.port, get(target, headers));
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.body) as Seen;
}

/** Lower-case names in rawHeaders, to check they agree with req.headers. */
function rawNames(seen: Seen): string[] {
  return seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
}

const TRACE = '105445aa7843bc8bf206b12000100000/1;o=1';

describe('envelope: headers from an untrusted client', { timeout: 10_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(echoHandler, { trustProxy: false, project: 'my-app' });
  });
  after(() => server.close());

  it('strips App Engine names in any case, X-Google-*, Proxy, underscores and hop-by-hop headers', async () => {
    const seen = await see(server, [
      'X-AppEngine-Country: FR',
      'x-appengine-user-email: admin@example.com',
      'X-APPENGINE-USER-IS-ADMIN: 1',
      'X-AppEngine-Cron: true',
      'x-AppEngine-QueueName: default',
      'X-Appengine-Inbound-Appid: other',
      'X-AppEngine-Request-Log-Id: 00',
      'X-AppEngine-Fake-Is-Admin: 1',
      'X-AppEngine-Dev-Script: evil.app',
      'X_AppEngine_Cron: true',
      'X-Auth_User: root',
      'X-Google-Real-IP: 1.2.3.4',
      'x-goog-keep: yes',
      'Proxy: http://evil:8080',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Trailer: X-Foo',
      'Upgrade: websocket',
      'Proxy-Authorization: Basic Zm9vOmJhcg==',
      'Accept-Encoding: gzip, br',
      'X-Appengine-Cntry: kept',
      'X-Custom: kept',
    ]);
    const names = Object.keys(seen.headers);
    for (const gone of [
      'x-appengine-user-email', 'x-appengine-user-is-admin', 'x-appengine-cron', 'x-appengine-queuename',
      'x-appengine-inbound-appid', 'x-appengine-fake-is-admin', 'x-appengine-dev-script', 'x_appengine_cron',
      'x-auth_user', 'x-google-real-ip', 'proxy', 'keep-alive', 'te', 'trailer', 'upgrade',
      'proxy-authorization', 'accept-encoding', 'connection',
    ]) {
      assert.ok(!names.includes(gone), `${gone} reached the app`);
      assert.ok(!rawNames(seen).includes(gone), `${gone} left in rawHeaders`);
    }
    assert.equal(seen.headers['x-appengine-cntry'], 'kept');
    assert.equal(seen.headers['x-goog-keep'], 'yes');
    assert.equal(seen.headers['x-custom'], 'kept');
    // The client's country was replaced, not kept.
    assert.equal(seen.headers['x-appengine-country'], 'ZZ');
    assert.notEqual(seen.headers['x-appengine-request-log-id'], '00');
    assert.equal(seen.appEngine.acceptEncoding, 'gzip, br');
  });

  it('req.headers and req.rawHeaders agree, each added header once', async () => {
    const seen = await see(server, ['x-forwarded-for: 9.9.9.9', 'X-FORWARDED-FOR: 8.8.8.8', 'X-Cloud-Trace-Context: ' + TRACE]);
    const raw = rawNames(seen);
    assert.deepEqual([...raw].sort(), Object.keys(seen.headers).sort());
    assert.equal(raw.filter((n) => n === 'x-forwarded-for').length, 1);
    for (let i = 0; i < seen.rawHeaders.length; i += 2) {
      assert.equal(seen.headers[seen.rawHeaders[i]!.toLowerCase()], seen.rawHeaders[i + 1]);
    }
  });

  it("adds App Engine's headers from the socket, ignoring the client's forwarding claims", async () => {
    const seen = await see(server, ['X-Forwarded-For: 203.0.113.9', 'X-Forwarded-Proto: https', 'X-AppEngine-Https: on', 'X-Cloud-Trace-Context: ' + TRACE]);
    const h = seen.headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-appengine-https'], 'off');
    assert.equal(h['x-appengine-user-ip'], '127.0.0.1');
    assert.equal(h['x-appengine-country'], 'ZZ');
    assert.equal(h['x-appengine-region'], undefined);
    assert.equal(h['x-appengine-city'], undefined);
    assert.equal(h['x-appengine-default-version-hostname'], 'my-app.appspot.com');
    assert.match(h['x-appengine-request-log-id']!, /^[0-9a-f]{32}$/);
    // An untrusted client's trace is replaced by a new one.
    assert.match(h['x-cloud-trace-context']!, /^[0-9a-f]{32}\/[0-9]{1,20};o=1$/);
    assert.notEqual(h['x-cloud-trace-context'], TRACE);
    assert.ok(seen.rawHeaders.includes('X-AppEngine-Request-Log-Id'), 'canonical name in rawHeaders');
  });

  it("applies the client's Connection list before adding ours (security row 50)", async () => {
    const seen = await see(server, [
      'Connection: X-AppEngine-User-Email, X-AppEngine-Country, X-Forwarded-For, X-Cloud-Trace-Context, x-custom, host, content-length',
      'X-AppEngine-User-Email: admin@example.com',
      'X-Custom: dropped',
    ]);
    const h = seen.headers;
    assert.equal(h['x-appengine-user-email'], undefined);
    assert.equal(h['x-custom'], undefined);
    assert.equal(h['x-appengine-country'], 'ZZ');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.match(h['x-cloud-trace-context']!, /;o=1$/);
    assert.equal(h.host, 'app.test', 'Host is never dropped by a Connection list');
  });

  it("a Connection header mixing 'close' with names still closes the connection", async () => {
    const res = await rawRequest(
      server.port,
      'GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close, X-AppEngine-User-Email\r\nX-AppEngine-User-Email: a@b\r\n\r\n',
    );
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).headers['x-appengine-user-email'], undefined);
  });
});

describe('envelope: headers from a trusted proxy', { timeout: 10_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(echoHandler, { trustProxy: 'loopback', mode: 'development' });
  });
  after(() => server.close());

  it('believes X-Forwarded-For/-Proto and appends the peer', async () => {
    const seen = await see(server, ['X-Forwarded-For: 203.0.113.9', 'X-Forwarded-Proto: https']);
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-appengine-https'], 'on');
    assert.equal(seen.headers['x-appengine-user-ip'], '203.0.113.9');
    assert.equal(seen.appEngine.clientIp, '203.0.113.9');
    assert.equal(seen.appEngine.scheme, 'https');
  });

  it('keeps a valid trace context, replaces an invalid one', async () => {
    const kept = await see(server, ['X-Cloud-Trace-Context: ' + TRACE]);
    assert.equal(kept.headers['x-cloud-trace-context'], TRACE);
    assert.deepEqual(kept.appEngine.trace, { traceId: '105445aa7843bc8bf206b12000100000', spanId: '1', sampled: true });
    for (const bad of ['zz/1;o=1', '00000000000000000000000000000000/1;o=1', '105445aa7843bc8bf206b12000100000/0', '105445aa7843bc8bf206b12000100000/18446744073709551616']) {
      const seen = await see(server, ['X-Cloud-Trace-Context: ' + bad]);
      assert.notEqual(seen.headers['x-cloud-trace-context'], bad);
      assert.match(seen.headers['x-cloud-trace-context']!, /^[0-9a-f]{32}\/[1-9][0-9]*;o=1$/);
    }
  });

  it('still strips App Engine headers a trusted proxy passes on', async () => {
    const seen = await see(server, ['X-AppEngine-User-Email: admin@example.com']);
    assert.equal(seen.headers['x-appengine-user-email'], undefined);
  });

  it('development mode: the default version hostname is the local address', async () => {
    const seen = await see(server, []);
    assert.equal(seen.headers['x-appengine-default-version-hostname'], `localhost:${server.port}`);
  });
});

describe('envelope: geo lookup', { timeout: 10_000 }, () => {
  it('sends what the lookup gives; unknown, throwing or unsafe values become ZZ / absent', async () => {
    const server = await startServer(echoHandler, {
      trustProxy: false,
      geo: (req) => {
        const mode = new URL(req.url!, 'http://x').searchParams.get('geo');
        if (mode === 'throw') throw new Error('lookup down');
        if (mode === 'bad') return { country: 'F\r\nX-Evil: 1', city: 'paris\n' };
        if (mode === 'none') return undefined;
        return { country: 'US', region: 'ca', city: 'san francisco', cityLatLong: '37.774929,-122.419416' };
      },
    });
    try {
      const ok = await see(server, [], '/?geo=ok');
      assert.equal(ok.headers['x-appengine-country'], 'US');
      assert.equal(ok.headers['x-appengine-region'], 'ca');
      assert.equal(ok.headers['x-appengine-city'], 'san francisco');
      assert.equal(ok.headers['x-appengine-citylatlong'], '37.774929,-122.419416');
      assert.deepEqual(ok.appEngine.geo, { country: 'US', region: 'ca', city: 'san francisco', cityLatLong: '37.774929,-122.419416' });
      for (const mode of ['throw', 'bad', 'none']) {
        const seen = await see(server, [], `/?geo=${mode}`);
        assert.equal(seen.headers['x-appengine-country'], 'ZZ', mode);
        assert.equal(seen.headers['x-appengine-city'], undefined, mode);
      }
      assert.ok(server.logs.some((l) => l.severity === 'WARNING' && String(l.err).includes('lookup down')));
    } finally {
      await server.close();
    }
  });
});

describe('envelope: inside an Express app', { timeout: 10_000 }, () => {
  it('Express sees the envelope: req.ip with trust proxy, chunked JSON bodies still parsed', async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(envelope({ logger: jsonLogger({ destination: { write: () => {} } }) }));
    app.use(express.json());
    app.post('/echo', (req, res) => {
      res.json({ ip: req.ip, protocol: req.protocol, body: req.body, logId: req.appEngine?.requestLogId, header: req.get('x-appengine-request-log-id') });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await rawRequest(
        port,
        'POST /echo HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 198.51.100.4\r\nX-Forwarded-Proto: https\r\n' +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n',
      );
      assert.equal(res.status, 200, res.text);
      const seen = JSON.parse(res.body);
      assert.equal(seen.ip, '198.51.100.4');
      assert.equal(seen.protocol, 'https');
      assert.deepEqual(seen.body, { a: 1 });
      assert.equal(seen.header, seen.logId);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
