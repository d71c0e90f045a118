/**
 * The reverse proxy's rules with a node:http upstream run as the entrypoint: hop-by-hop headers
 * both ways, X-Forwarded-* and X-AppEngine-* (with and without the envelope), 32 MiB caps both
 * ways, upstream resets, and WebSocket relay.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { appYaml } from '../../lib/app-yaml.js';
import { silentLogger } from '../../lib/envelope/logger.js';
import { app, fetch, NODE_UPSTREAM, processesIn, startServer, type EntrypointServer } from './entrypoint-harness.js';

const MIB = 1024 * 1024;
const yaml = ['runtime: python', 'env: flex', `entrypoint: ${process.execPath} upstream.mjs`, 'manual_scaling:', '  instances: 1'];

let enveloped: EntrypointServer;
let bare: EntrypointServer;
before(async () => {
  enveloped = await startServer(app(yaml, { 'upstream.mjs': NODE_UPSTREAM }));
  bare = await startServer(app(yaml, { 'upstream.mjs': NODE_UPSTREAM }), { bare: true });
});
after(async () => {
  for (const s of [enveloped, bare]) {
    await s.close();
    assert.deepEqual(processesIn(s.root), [], `no process left in ${s.root}`);
  }
});

interface Echo {
  method: string;
  url: string;
  rawHeaders: string[];
  length: number;
}

/** The upstream's view of the request's headers: lower-case name → values in order. */
function headersOf(echo: Echo): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    const name = echo.rawHeaders[i]!.toLowerCase();
    out.set(name, [...(out.get(name) ?? []), echo.rawHeaders[i + 1]!]);
  }
  return out;
}

async function echo(s: EntrypointServer, headers: Record<string, string | string[]>, path = '/echo?q=1'): Promise<Map<string, string[]>> {
  const r = await fetch(s.port, path, { headers });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.text) as Echo;
  assert.equal(seen.url, path, 'the target goes through untouched');
  return headersOf(seen);
}

const HOSTILE = {
  Host: 'app.example',
  Connection: 'X-Private, keep-alive',
  'X-Private': 'hop',
  'Keep-Alive': 'timeout=9',
  TE: 'trailers',
  'Proxy-Authorization': 'Basic eA==',
  Proxy: 'http://evil',
  'X-Forwarded-For': '6.6.6.6',
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Host': 'evil.example',
  'X-AppEngine-User-IP': '6.6.6.6',
  'X-AppEngine-Country': 'XX',
  'X-Google-Secret': '1',
  X_Alias: '1',
  'X-Kept': 'yes',
};

describe('request headers', () => {
  for (const kind of ['with the envelope', 'without it'] as const) {
    test(`hop-by-hop headers and those Connection names never reach the upstream (${kind})`, async () => {
      const h = await echo(kind === 'with the envelope' ? enveloped : bare, HOSTILE);
      for (const name of ['x-private', 'keep-alive', 'te', 'proxy-authorization', 'proxy', 'x-google-secret', 'x_alias', 'transfer-encoding']) {
        assert.equal(h.get(name), undefined, name);
      }
      // HTTP/1.1 keeps the connection alive without saying so; nothing of the client's Connection goes on.
      assert.equal(h.get('connection'), undefined);
      assert.deepEqual(h.get('x-kept'), ['yes']);
      assert.deepEqual(h.get('host'), ['app.example']);
      assert.deepEqual(h.get('x-forwarded-host'), ['app.example'], 'X-Forwarded-Host is the Host the client asked for');
    });
  }

  test('with the envelope: X-Forwarded-* and X-AppEngine-* are the envelope\'s, each once', async () => {
    const h = await echo(enveloped, HOSTILE);
    // A loopback peer is a trusted proxy by default: its X-Forwarded-For is kept in front of it.
    assert.deepEqual(h.get('x-forwarded-for'), ['6.6.6.6, 127.0.0.1']);
    assert.deepEqual(h.get('x-forwarded-proto'), ['https']);
    assert.deepEqual(h.get('x-appengine-https'), ['on']);
    assert.deepEqual(h.get('x-appengine-user-ip'), ['6.6.6.6']);
    assert.deepEqual(h.get('x-appengine-country'), ['ZZ']);
    assert.match(h.get('x-appengine-request-log-id')![0]!, /^[0-9a-f]+$/);
  });

  test('without the envelope: the socket decides X-Forwarded-For/-Proto, and no X-AppEngine-* from a client gets through', async () => {
    const h = await echo(bare, HOSTILE);
    assert.deepEqual(h.get('x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(h.get('x-forwarded-proto'), ['http']);
    assert.equal(h.get('x-appengine-user-ip'), undefined);
    assert.equal(h.get('x-appengine-country'), undefined);
  });

  test('a chunked request body is re-framed by the proxy and arrives whole', async () => {
    const r = await fetch(bare.port, '/echo', { method: 'POST', body: ['a'.repeat(1000), 'b'.repeat(2000)] });
    const seen = JSON.parse(r.text) as Echo;
    assert.equal(seen.length, 3000);
    assert.deepEqual(headersOf(seen).get('transfer-encoding'), ['chunked']);
  });
});

describe('response headers', () => {
  test('hop-by-hop headers and those the upstream\'s Connection names are dropped; repeats are kept', async () => {
    const r = await fetch(enveloped.port, '/hop');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hop');
    for (const name of ['x-secret', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade']) assert.equal(r.headers[name], undefined, name);
    assert.equal(r.headers['x-kept'], 'yes');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
  });
});

describe('sizes and broken upstreams', () => {
  test('a response of exactly 32 MiB goes through whole', async () => {
    const r = await fetch(bare.port, `/size?n=${32 * MIB}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 32 * MIB);
  });

  test('one byte more is cut, never delivered as if whole', async () => {
    await assert.rejects(fetch(bare.port, `/size?n=${32 * MIB + 1}`), /aborted|socket hang up|ECONNRESET/);
  });

  test('a declared Content-Length over 32 MiB is 502 before anything is sent', async () => {
    const r = await fetch(bare.port, '/declared?n=40000000');
    assert.equal(r.status, 502);
    assert.match(r.text, /502/);
  });

  test('a request body over 32 MiB is 413 (declared) without the envelope too', async () => {
    const r = await fetch(bare.port, '/echo', { method: 'POST', headers: { 'Content-Length': String(32 * MIB + 1) } }).catch((err: Error) => err);
    assert.ok(!(r instanceof Error) && r.status === 413, String(r instanceof Error ? r.message : r.status));
  });

  test('a chunked request body over 32 MiB is refused with 413 without the envelope', async () => {
    const part = Buffer.alloc(MIB, 97);
    const r = await fetch(bare.port, '/echo', { method: 'POST', body: Array<Buffer>(33).fill(part) }).catch((err: Error) => err);
    // The server answers 413 as soon as the limit is crossed; the client may still be writing.
    if (!(r instanceof Error)) assert.equal(r.status, 413);
    else assert.match(r.message, /EPIPE|ECONNRESET|socket hang up/);
    const echoed = await fetch(bare.port, '/echo');
    assert.equal(echoed.status, 200, 'the upstream is fine afterwards');
  });

  test('an upstream reset mid-body: the client connection is cut', async () => {
    await assert.rejects(fetch(bare.port, '/reset'), /aborted|socket hang up|ECONNRESET/);
  });
});

/** An upgrade request to the proxy; resolves with the 101 (or the refusal's status) and the socket. */
function upgrade(port: number, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; socket?: Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', 'X-Forwarded-For': '6.6.6.6' },
    });
    req.on('upgrade', (res, socket) => resolve({ status: res.statusCode!, headers: res.headers, socket }));
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode!, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('WebSocket', () => {
  test('an upgrade is relayed: the handshake, then bytes both ways', async () => {
    const r = await upgrade(enveloped.port, '/ws');
    assert.equal(r.status, 101);
    const expected = createHash('sha1').update('dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    assert.equal(r.headers['sec-websocket-accept'], expected);
    assert.equal(r.headers['x-seen-forwarded-for'], '127.0.0.1', "upgrades carry appyaml's X-Forwarded-For, not the client's");
    const socket = r.socket!;
    const got = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('ping');
    assert.equal(await got, 'echo:ping');
    socket.destroy();
  });

  test("the upstream's refusal of an upgrade reaches the client", async () => {
    const r = await upgrade(enveloped.port, '/nope');
    assert.equal(r.status, 403);
  });

  test("through appYaml(): middleware.upgrade relays to the entrypoint; a static handler's path is refused", async () => {
    const standard = ['runtime: python312', `entrypoint: ${process.execPath} upstream.mjs`, 'handlers:', '- url: /static', '  static_dir: static', '- url: /.*', '  script: auto'];
    const root = app(standard, { 'upstream.mjs': NODE_UPSTREAM, 'static/a.txt': 'a' });
    const middleware = appYaml({ root, logger: silentLogger });
    const server = http.createServer((req, res) => middleware(req, res, () => res.writeHead(404).end()));
    server.on('upgrade', middleware.upgrade);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    try {
      const r = await upgrade(port, '/ws');
      assert.equal(r.status, 101);
      const socket = r.socket!;
      const got = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
      socket.write('ping');
      assert.equal(await got, 'echo:ping');
      socket.destroy();
      assert.equal((await upgrade(port, '/static/a.txt')).status, 404);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await middleware.close();
      assert.deepEqual(processesIn(root), []);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
