/**
 * The opt-in frontend (edge) cache (app-engine.md §3.8): what is stored, what is answered from
 * it, Age, purge, the size bound, and how it works with compression.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cacheLifetime, FrontendCache } from '../../lib/envelope/frontend-cache.js';
import { BROWSER, fetch, startFrontendServer, STATIC_AND_SCRIPT_YAML, text, type FrontendServer } from './response-harness.js';

const YAML = STATIC_AND_SCRIPT_YAML;
const PAGE = text(2000);

/** A script answering `Cache-Control: <cc>` (from the query) and counting its calls per path. */
function cachingScript(calls: Map<string, number>) {
  return (app: import('express').Express) => {
    app.all('/{*rest}', (req, res) => {
      calls.set(req.path, (calls.get(req.path) ?? 0) + 1);
      const { cc, vary } = req.query;
      if (typeof cc === 'string') res.set('Cache-Control', cc);
      if (typeof vary === 'string') res.set('Vary', vary);
      if (req.query.cookie) res.cookie('a', 'b');
      if (req.query.links) res.append('Link', '</a.css>; rel=preload').append('Link', '</b.js>; rel=preload');
      const size = Number(req.query.size ?? 0);
      res.set('ETag', '"v1"').type('html').send(size ? text(size) : `${req.path} call ${calls.get(req.path)}`);
    });
  };
}

describe('frontend cache', () => {
  let server: FrontendServer;
  const calls = new Map<string, number>();
  /** Fetches `path` twice; returns the second response and how many times the app ran. */
  async function twice(path: string, second: Record<string, string> = {}, method = 'GET') {
    await fetch(server.port, path);
    const res = await fetch(server.port, path, { headers: second, method });
    return { res, calls: calls.get(path.split('?')[0]!) ?? 0 };
  }

  before(async () => {
    server = await startFrontendServer({
      yaml: YAML,
      files: { 'static/page.html': PAGE },
      frontend: { frontendCache: { maxSize: 24_000 } },
      script: cachingScript(calls),
    });
  });
  after(() => server.close());

  it('stores public max-age responses: the second request is a hit with Age, and the app runs once', async () => {
    const { res, calls: n } = await twice('/hit?cc=public,%20max-age=60');
    assert.equal(n, 1);
    assert.equal(res.status, 200);
    assert.equal(res.headers.age, '0');
    assert.equal(res.body.toString(), '/hit call 1');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.equal(res.headers.server, 'Google Frontend');
  });

  it('a hit repeats every header field, repeated ones included', async () => {
    const { res } = await twice('/links?cc=public,%20max-age=60&links=1');
    assert.equal(res.headers.age, '0');
    const links = res.raw.filter((_v, i) => i % 2 === 1 && res.raw[i - 1] === 'Link');
    assert.deepEqual(links, ['</a.css>; rel=preload', '</b.js>; rel=preload']);
  });

  it('s-maxage wins over max-age', async () => {
    assert.equal((await twice('/smax?cc=public,%20max-age=0,%20s-maxage=60')).calls, 1);
    assert.equal((await twice('/smax0?cc=public,%20max-age=60,%20s-maxage=0')).calls, 2);
  });

  for (const [name, cc] of [
    ['not public', 'max-age=60'],
    ['private', 'private, max-age=60'],
    ['no max-age', 'public'],
    ['max-age=0', 'public, max-age=0'],
    ['max-age=3600.0', 'public, max-age=3600.0'],
    ['a semicolon', 'Public; max-age=300'],
    ['a quoted max-age', 'public, max-age="60"'],
    ['no-cache', 'public, max-age=60, no-cache'],
    ['no-store', 'public, max-age=60, no-store'],
    ['conflicting max-ages', 'public, max-age=60, max-age=30'],
  ] as const) {
    it(`does not store: ${name}`, async () => {
      const path = `/not-${name.replace(/\W+/g, '-')}`;
      assert.equal((await twice(`${path}?cc=${encodeURIComponent(cc)}`)).calls, 2);
    });
  }

  it('Set-Cookie is never cached (the rules make it private too)', async () => {
    assert.equal((await twice('/cookie?cc=public,%20max-age=60&cookie=1')).calls, 2);
  });

  it('Vary: Accept, Accept-Encoding, Origin, X-Origin still cache (one entry for all); anything else does not', async () => {
    const varied = await twice('/vary-ok?cc=public,%20max-age=60&vary=Accept,%20Origin,%20X-Origin', { Origin: 'https://other.example' });
    assert.equal(varied.calls, 1, 'served to another Origin from the same entry');
    assert.equal((await twice('/vary-cookie?cc=public,%20max-age=60&vary=Cookie')).calls, 2);
    assert.equal((await twice('/vary-star?cc=public,%20max-age=60&vary=*')).calls, 2);
  });

  it('a request with Authorization is never answered from the cache, and its response is not stored', async () => {
    const { res, calls: n } = await twice('/auth?cc=public,%20max-age=60', { Authorization: 'Bearer x' });
    assert.equal(n, 2);
    assert.equal(res.headers.age, undefined);
    await fetch(server.port, '/auth2?cc=public,%20max-age=60', { headers: { Authorization: 'Bearer x' } });
    await fetch(server.port, '/auth2?cc=public,%20max-age=60');
    assert.equal(calls.get('/auth2'), 2);
  });

  it('POST and Range requests bypass it; HEAD is answered from a GET entry', async () => {
    assert.equal((await twice('/post?cc=public,%20max-age=60', {}, 'POST')).calls, 2);
    assert.equal((await twice('/range?cc=public,%20max-age=60', { Range: 'bytes=0-1' })).calls, 2);
    const head = await twice('/head?cc=public,%20max-age=60', {}, 'HEAD');
    assert.equal(head.calls, 1);
    assert.equal(head.res.body.length, 0);
    assert.equal(head.res.headers.age, '0');
  });

  it('the key is the full URL: another query or host is another entry', async () => {
    await twice('/key?cc=public,%20max-age=60&a=1');
    await fetch(server.port, '/key?cc=public,%20max-age=60&a=2');
    assert.equal(calls.get('/key'), 2);
    await fetch(server.port, '/key?cc=public,%20max-age=60&a=1', { headers: { Host: 'other.example' } });
    assert.equal(calls.get('/key'), 3);
  });

  it('answers 304 from the entry when the validator matches', async () => {
    const { res } = await twice('/cond?cc=public,%20max-age=60', { 'If-None-Match': '"v1"' });
    assert.equal(res.status, 304);
    assert.equal(res.headers.etag, '"v1"');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.equal(res.headers['content-type'], undefined);
    assert.equal(calls.get('/cond'), 1);
  });

  it('one entry serves every encoding: identity stored, gzip made on the way out', async () => {
    const path = '/enc?cc=public,%20max-age=60&size=1500';
    const first = await fetch(server.port, path);
    assert.equal(first.headers['content-encoding'], undefined);
    const gz = await fetch(server.port, path, { headers: BROWSER });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.etag, 'W/"v1"');
    assert.equal(gunzipSync(gz.body).toString(), text(1500));
    const plain = await fetch(server.port, path);
    assert.equal(plain.body.toString(), text(1500));
    assert.equal(calls.get('/enc'), 1);
  });

  it('static responses are cached too (public, max-age=600 by default)', async () => {
    await fetch(server.port, '/static/page.html');
    const hit = await fetch(server.port, '/static/page.html');
    assert.equal(hit.headers.age, '0');
    assert.equal(hit.body.toString(), PAGE);
  });

  it('purge(url) drops one entry, purge() all of them', async () => {
    await twice('/purge-a?cc=public,%20max-age=60');
    await twice('/purge-b?cc=public,%20max-age=60');
    const host = `127.0.0.1:${server.port}`;
    assert.equal(server.frontend.purge(`HTTP://${host}/purge-a?cc=public,%20max-age=60`), 1);
    await fetch(server.port, '/purge-a?cc=public,%20max-age=60');
    assert.equal(calls.get('/purge-a'), 2);
    assert.ok(server.frontend.purge() >= 2);
    await fetch(server.port, '/purge-b?cc=public,%20max-age=60');
    assert.equal(calls.get('/purge-b'), 2);
  });

  it('is bounded in bytes: least recently used entries go; a response over an eighth is never stored', async () => {
    server.frontend.purge();
    // maxSize 24 000: each entry is ~1 000 bytes with bookkeeping; 30 of them cannot all stay.
    for (let i = 0; i < 30; i++) await fetch(server.port, `/lru${i}?cc=public,%20max-age=60&size=700`);
    await fetch(server.port, '/lru0?cc=public,%20max-age=60&size=700');
    assert.equal(calls.get('/lru0'), 2, 'the oldest was evicted');
    await fetch(server.port, '/lru29?cc=public,%20max-age=60&size=700');
    assert.equal(calls.get('/lru29'), 1, 'the newest stayed');
    assert.equal((await twice('/huge?cc=public,%20max-age=60&size=3000')).calls, 2);
  });

  it('Age grows, and an entry expires after max-age', async () => {
    await fetch(server.port, '/age?cc=public,%20max-age=60');
    await fetch(server.port, '/expire?cc=public,%20max-age=1');
    await sleep(1100);
    const aged = await fetch(server.port, '/age?cc=public,%20max-age=60');
    assert.equal(aged.headers.age, '1');
    await fetch(server.port, '/expire?cc=public,%20max-age=1');
    assert.equal(calls.get('/expire'), 2);
  });
});

describe('frontend cache: a large static file streamed from disk', () => {
  it('is copied into the cache as it streams, and served from it to every encoding', async () => {
    const big = text(200 * 1024);
    const server = await startFrontendServer({ yaml: YAML, files: { 'static/big.txt': big }, frontend: { frontendCache: { maxSize: 4 * 1024 * 1024 } } });
    try {
      const first = await fetch(server.port, '/static/big.txt');
      assert.equal(first.headers.age, undefined);
      const hit = await fetch(server.port, '/static/big.txt');
      assert.equal(hit.headers.age, '0');
      assert.equal(hit.headers['content-length'], String(big.length));
      assert.equal(hit.body.toString(), big);
      const gz = await fetch(server.port, '/static/big.txt', { headers: BROWSER });
      assert.equal(gz.headers.age, '0');
      assert.equal(gunzipSync(gz.body).toString(), big);
    } finally {
      await server.close();
    }
  });
});

describe('frontend cache: off by default', () => {
  it('stores nothing without the option', async () => {
    const calls = new Map<string, number>();
    const server = await startFrontendServer({ script: cachingScript(calls) });
    try {
      await fetch(server.port, '/x?cc=public,%20max-age=60');
      const res = await fetch(server.port, '/x?cc=public,%20max-age=60');
      assert.equal(calls.get('/x'), 2);
      assert.equal(res.headers.age, undefined);
      assert.equal(server.frontend.purge(), 0);
    } finally {
      await server.close();
    }
  });
});

describe('cacheLifetime (unit)', () => {
  it('reads the seconds the Google Frontend would keep a response for', () => {
    const cases: Array<[Array<[string, string]>, number | undefined]> = [
      [[['Cache-Control', 'public, max-age=300']], 300],
      [[['Cache-Control', 'Public, Max-Age=300']], 300],
      [[['Cache-Control', 'public'], ['Cache-Control', 'max-age=5']], 5],
      [[['Cache-Control', 'public, max-age=99999999999']], 2_147_483_648],
      [[['Cache-Control', 'public, max-age=60, max-age=60']], 60],
      [[['Cache-Control', 'public, max-age=60'], ['Set-Cookie', 'a=b']], undefined],
      [[['Cache-Control', 'public, max-age=60'], ['Vary', 'Accept-Encoding, Origin']], 60],
      [[['Cache-Control', 'public, max-age=60'], ['Vary', 'User-Agent']], undefined],
      [[['Cache-Control', 'public, max-age=-1']], undefined],
      [[['Cache-Control', 'public, max-age=']], undefined],
      [[['Cache-Control', 'public, private=x, max-age=60']], undefined],
      [[['Cache-Control', 'public, max-age=60, two words']], undefined],
      [[['Expires', 'Thu, 01 Jan 2099 00:00:00 GMT']], undefined],
      [[], undefined],
    ];
    for (const [headers, expected] of cases) assert.equal(cacheLifetime(headers), expected, JSON.stringify(headers));
  });
});

describe('FrontendCache (unit)', () => {
  const req = (url: string) => ({ method: 'GET', url, headers: { host: 'app.test' }, socket: {} }) as unknown as IncomingMessage;
  const response = (size: number) => ({ status: 200, headers: [['Cache-Control', 'public, max-age=60']] as Array<[string, string]>, body: Buffer.from(text(size)) });

  it('counts compressed copies against the bound, evicting the least recently used', async () => {
    const cache = new FrontendCache({ maxSize: 16_000 });
    const now = Date.now();
    assert.ok(cache.store(req('/a'), response(1500), now));
    assert.ok(cache.store(req('/b'), response(1500), now));
    const before = cache.size;
    const entry = cache.lookup(req('/a'), now)!;
    const gz = await cache.encoded(entry, 'gzip', async (body) => gzipSync(body));
    assert.equal(cache.size, before + gz.length);
    assert.equal(await cache.encoded(entry, 'gzip', () => Promise.reject(new Error('made twice'))), gz);
    for (let i = 0; i < 20; i++) cache.store(req(`/fill${i}`), response(1500), now);
    assert.equal(cache.lookup(req('/a'), now), undefined);
    assert.ok(cache.size <= 16_000);
  });

  it('purge keys URLs like requests: scheme and host case-insensitive, path as given', () => {
    const cache = new FrontendCache();
    cache.store(req('/p?q=1'), response(10), Date.now());
    assert.equal(cache.purge('http://APP.test/p?q=2'), 0);
    assert.equal(cache.purge('HTTP://APP.test/p?q=1'), 1);
    assert.equal(cache.purge('not a url'), 0);
  });
});
