/**
 * Conditional requests (RFC 9110 §13, spec §3.3) and ranges (§14), over HTTP, for a file answered
 * from memory and one streamed from disk.
 */
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appYaml, type AppYamlMiddleware } from '../../lib/app-yaml.js';
import { MAX_RANGES } from '../../lib/handlers/static/range.js';
import { fetchPath, makeApp, removeDir, serveHttp, type Running } from './helpers.js';

const SMALL = Buffer.from(Array.from({ length: 100 }, (_, i) => String.fromCharCode(48 + (i % 43))).join(''));
const LARGE = Buffer.alloc(200 * 1024, 0);
for (let i = 0; i < LARGE.length; i++) LARGE[i] = (i * 7 + (i >> 10)) & 0xff;

const APP_YAML = `
runtime: python312
handlers:
- url: /s
  static_dir: s
  http_headers:
    Strict-Transport-Security: max-age=60
    Vary: Origin
    Content-Language: en
`;

/** Whole seconds, so the IMS comparisons below are exact. */
const MTIME = new Date('2024-03-01T12:00:00Z');
const MTIME_HTTP = 'Fri, 01 Mar 2024 12:00:00 GMT';

let root: string;
let plain: AppYamlMiddleware;
let dated: AppYamlMiddleware;
let server: Running;
let datedServer: Running;
let etag: string;
let largeEtag: string;

before(async () => {
  root = makeApp({ 'app.yaml': APP_YAML, 's/small.txt': SMALL, 's/large.bin': LARGE });
  utimesSync(join(root, 's/small.txt'), MTIME, MTIME);
  plain = appYaml({ root });
  dated = appYaml({ root, lastModified: true });
  server = await serveHttp(plain);
  datedServer = await serveHttp(dated);
  etag = String((await fetchPath(server.port, '/s/small.txt')).headers.etag);
  largeEtag = String((await fetchPath(server.port, '/s/large.bin')).headers.etag);
});

after(async () => {
  await server.close();
  await datedServer.close();
  plain.close();
  dated.close();
  removeDir(root);
});

const get = (headers: Record<string, string>, path = '/s/small.txt', method = 'GET') => fetchPath(server.port, path, { headers, method });
const getDated = (headers: Record<string, string>) => fetchPath(datedServer.port, '/s/small.txt', { headers });

describe('If-None-Match → 304', { timeout: 5000 }, () => {
  it('answers 304 with cache metadata and no Content-* headers or body', async () => {
    const reply = await get({ 'If-None-Match': etag });
    assert.equal(reply.status, 304);
    assert.equal(reply.body.length, 0);
    assert.equal(reply.headers.etag, etag);
    assert.equal(reply.headers['cache-control'], 'public, max-age=600');
    assert.ok(reply.headers.expires);
    // RFC 9110 §15.4.5: a 304 repeats the Vary its 200 would carry, the frontend's compression included.
    assert.equal(reply.headers.vary, 'Origin, Accept-Encoding');
    assert.equal(reply.headers['strict-transport-security'], 'max-age=60');
    for (const name of ['content-type', 'content-length', 'content-language', 'content-range', 'accept-ranges', 'last-modified']) {
      assert.equal(reply.headers[name], undefined, name);
    }
  });

  it('compares weakly, in lists, and honours *', async () => {
    for (const value of [`W/${etag}`, `"nope", ${etag}`, `"a",,  W/${etag} ,"b"`, '*', ` ${etag} `]) {
      assert.equal((await get({ 'If-None-Match': value })).status, 304, value);
    }
  });

  it('answers 200 for other tags and for malformed lists', async () => {
    for (const value of ['"nope"', 'W/"nope"', etag.slice(1, -1), 'garbage', `"x" garbage ${etag}`]) {
      const reply = await get({ 'If-None-Match': value });
      assert.equal(reply.status, 200, value);
      assert.deepEqual(reply.body, SMALL);
    }
  });

  it('treats other methods as GET (304, not 412)', async () => {
    assert.equal((await get({ 'If-None-Match': etag }, '/s/small.txt', 'POST')).status, 304);
  });
});

describe('If-Match → 412', { timeout: 5000 }, () => {
  it('serves when a strong tag matches, in a list or as *', async () => {
    for (const value of [etag, `"a", ${etag}`, '*']) {
      const reply = await get({ 'If-Match': value });
      assert.equal(reply.status, 200, value);
      assert.deepEqual(reply.body, SMALL);
    }
  });

  it('answers 412 with the current ETag when nothing matches strongly', async () => {
    for (const value of ['"nope"', `W/${etag}`, 'garbage']) {
      const reply = await get({ 'If-Match': value });
      assert.equal(reply.status, 412, value);
      assert.equal(reply.headers.etag, etag);
      assert.equal(reply.body.length, 0);
    }
  });

  it('is evaluated before If-None-Match', async () => {
    assert.equal((await get({ 'If-Match': '"nope"', 'If-None-Match': etag })).status, 412);
    assert.equal((await get({ 'If-Match': etag, 'If-None-Match': etag })).status, 304);
  });

  it('applies to missing files only as far as the 404', async () => {
    assert.equal((await get({ 'If-Match': '*' }, '/s/none.txt')).status, 404);
  });
});

describe('dates', { timeout: 5000 }, () => {
  it('sends no Last-Modified and ignores date preconditions by default', async () => {
    const reply = await get({ 'If-Modified-Since': 'Fri, 01 Mar 2030 12:00:00 GMT', 'If-Unmodified-Since': 'Fri, 01 Mar 2000 12:00:00 GMT' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['last-modified'], undefined);
  });

  it('with lastModified: true, sends it and answers If-Modified-Since', async () => {
    const reply = await getDated({});
    assert.equal(reply.headers['last-modified'], MTIME_HTTP);
    assert.equal((await getDated({ 'If-Modified-Since': MTIME_HTTP })).status, 304);
    assert.equal((await getDated({ 'If-Modified-Since': 'Friday, 01-Mar-24 12:00:01 GMT' })).status, 304, 'RFC 850 form');
    assert.equal((await getDated({ 'If-Modified-Since': 'Fri Mar  1 12:00:00 2024' })).status, 304, 'asctime form');
    assert.equal((await getDated({ 'If-Modified-Since': 'Fri, 01 Mar 2024 11:59:59 GMT' })).status, 200, 'modified since');
  });

  it('ignores an invalid or future If-Modified-Since, and any when If-None-Match is present', async () => {
    assert.equal((await getDated({ 'If-Modified-Since': 'yesterday' })).status, 200);
    assert.equal((await getDated({ 'If-Modified-Since': 'Fri, 31 Feb 2024 12:00:00 GMT' })).status, 200);
    assert.equal((await getDated({ 'If-Modified-Since': 'Fri, 01 Mar 2024 12:00:00 UTC' })).status, 200);
    assert.equal((await getDated({ 'If-Modified-Since': new Date(Date.now() + 86400_000).toUTCString() })).status, 200);
    assert.equal((await getDated({ 'If-Modified-Since': MTIME_HTTP, 'If-None-Match': '"other"' })).status, 200);
  });

  it('answers 412 for If-Unmodified-Since before Last-Modified, unless If-Match is present', async () => {
    assert.equal((await getDated({ 'If-Unmodified-Since': 'Thu, 29 Feb 2024 12:00:00 GMT' })).status, 412);
    assert.equal((await getDated({ 'If-Unmodified-Since': MTIME_HTTP })).status, 200);
    assert.equal((await getDated({ 'If-Unmodified-Since': 'not a date' })).status, 200);
    assert.equal((await getDated({ 'If-Unmodified-Since': 'Thu, 29 Feb 2024 12:00:00 GMT', 'If-Match': etag })).status, 200);
  });
});

describe('ranges', { timeout: 5000 }, () => {
  async function partial(range: string, start: number, end: number, path = '/s/small.txt', whole = SMALL, extra: Record<string, string> = {}) {
    const reply = await get({ Range: range, ...extra }, path);
    assert.equal(reply.status, 206, range);
    assert.equal(reply.headers['content-range'], `bytes ${start}-${end}/${whole.length}`, range);
    assert.equal(reply.headers['content-length'], String(end - start + 1), range);
    assert.deepEqual(reply.body, whole.subarray(start, end + 1), range);
    assert.equal(reply.headers.etag, path === '/s/small.txt' ? etag : largeEtag);
  }

  async function full(headers: Record<string, string>, path = '/s/small.txt', whole = SMALL) {
    const reply = await get(headers, path);
    assert.equal(reply.status, 200, JSON.stringify(headers));
    assert.equal(reply.headers['content-range'], undefined);
    assert.deepEqual(reply.body, whole);
  }

  it('serves single, open and suffix ranges with 206', async () => {
    await partial('bytes=0-9', 0, 9);
    await partial('bytes=90-', 90, 99);
    await partial('bytes=95-200', 95, 99);
    await partial('bytes=-10', 90, 99);
    await partial('bytes=-500', 0, 99);
    await partial('BYTES = 5-5', 5, 5);
  });

  it('combines ranges that overlap or touch, answers disjoint ones whole', async () => {
    await partial('bytes=0-4,5-9', 0, 9);
    await partial('bytes=10-20, 0-15', 0, 20);
    await partial('bytes=50-60,,55-70', 50, 70);
    await full({ Range: 'bytes=0-1,5-6' });
    await full({ Range: 'bytes=0-0,-1' });
  });

  it('answers 416 with bytes */len when nothing is satisfiable', async () => {
    for (const range of ['bytes=100-', 'bytes=200-300', 'bytes=-0', 'bytes=100-100,150-']) {
      const reply = await get({ Range: range });
      assert.equal(reply.status, 416, range);
      assert.equal(reply.headers['content-range'], 'bytes */100', range);
      assert.equal(reply.body.length, 0);
    }
  });

  it('ignores malformed ranges, other units and too many ranges', async () => {
    for (const range of ['bytes=abc', 'bytes=5-2', 'bytes=', 'bytes=1-2-3', 'items=0-5', 'bytes 0-5', 'bytes=--5']) await full({ Range: range });
    const many = `bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(',')}`;
    await full({ Range: many });
  });

  it('honours If-Range with a strong ETag and ignores Range otherwise', async () => {
    await partial('bytes=0-9', 0, 9, '/s/small.txt', SMALL, { 'If-Range': etag });
    await full({ Range: 'bytes=0-9', 'If-Range': '"old"' });
    await full({ Range: 'bytes=0-9', 'If-Range': `W/${etag}` });
    await full({ Range: 'bytes=0-9', 'If-Range': MTIME_HTTP }, '/s/small.txt');
  });

  it('honours If-Range with the exact Last-Modified when it is sent', async () => {
    const hit = await getDated({ Range: 'bytes=0-9', 'If-Range': MTIME_HTTP });
    assert.equal(hit.status, 206);
    assert.deepEqual(hit.body, SMALL.subarray(0, 10));
    const miss = await getDated({ Range: 'bytes=0-9', 'If-Range': 'Fri, 01 Mar 2024 12:00:01 GMT' });
    assert.equal(miss.status, 200);
  });

  it('evaluates preconditions before ranges', async () => {
    assert.equal((await get({ Range: 'bytes=0-9', 'If-None-Match': etag })).status, 304);
    assert.equal((await get({ Range: 'bytes=500-', 'If-Match': '"x"' })).status, 412);
  });

  it('serves ranges of a file streamed from disk', async () => {
    await partial('bytes=0-0', 0, 0, '/s/large.bin', LARGE);
    await partial('bytes=70000-140000', 70000, 140000, '/s/large.bin', LARGE);
    await partial('bytes=-65537', LARGE.length - 65537, LARGE.length - 1, '/s/large.bin', LARGE);
    await full({}, '/s/large.bin', LARGE);
  });

  it('gives HEAD the 206 headers without a body', async () => {
    const reply = await get({ Range: 'bytes=10-19' }, '/s/large.bin', 'HEAD');
    assert.equal(reply.status, 206);
    assert.equal(reply.headers['content-range'], `bytes 10-19/${LARGE.length}`);
    assert.equal(reply.headers['content-length'], '10');
    assert.equal(reply.body.length, 0);
  });
});
