/**
 * Compression by the frontend (app-engine.md §3.7): who gets gzip (Accept-Encoding and
 * User-Agent), which types and sizes, never ranges, static and dynamic alike, and what it does
 * to ETags and conditional requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zlib, { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { compressionPolicy, negotiateEncoding, userAgentTakesGzip } from '../../lib/envelope/compression.js';
import { BROWSER, fetch, startFrontendServer, STATIC_AND_SCRIPT_YAML, text, type FrontendServer } from './response-harness.js';

const YAML = STATIC_AND_SCRIPT_YAML;
const PAGE = text(5000);
const BIG = text(300 * 1024);
const CHROME = BROWSER['User-Agent'];

function decode(body: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return gunzipSync(body).toString();
  if (encoding === 'br') return brotliDecompressSync(body).toString();
  return body.toString();
}

describe('compression', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      yaml: YAML,
      files: { 'static/page.html': PAGE, 'static/big.txt': BIG, 'static/tiny.css': 'b{}', 'static/photo.png': Buffer.alloc(4000, 7) },
      script(app) {
        app.get('/page', (_req, res) => res.type('html').send(PAGE));
        app.get('/json', (_req, res) => res.json({ items: PAGE.split('\n') }));
        app.get('/svg', (_req, res) => res.type('image/svg+xml').send(`<svg>${PAGE}</svg>`));
        app.get('/png', (_req, res) => res.type('png').send(Buffer.alloc(5000, 1)));
        app.get('/small', (_req, res) => res.type('text').send('just a few bytes'));
        app.get('/no-transform', (_req, res) => res.set('Cache-Control', 'no-transform').type('html').send(PAGE));
        app.get('/self-encoded', (_req, res) => res.set('Content-Encoding', 'identity').type('html').send(PAGE));
        // A backend answering whole although the request was captured: written past the tap, once.
        app.get('/backend', (req, res) =>
          server.frontend.sendScriptResponse(req, res, { status: 200, headers: [['Content-Type', 'text/html']], body: Buffer.from(PAGE) }),
        );
        app.get('/what-app-sees', (req, res) => res.type('text').send(`ae=${req.headers['accept-encoding'] ?? 'none'}`));
      },
    });
  });
  after(() => server.close());

  describe('who gets it', () => {
    it('a browser that accepts gzip gets gzip, with Vary and the encoded length', async () => {
      const res = await fetch(server.port, '/page', { headers: BROWSER });
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(res.headers.vary, 'Accept-Encoding');
      assert.equal(Number(res.headers['content-length']), res.body.length);
      assert.ok(res.body.length < PAGE.length / 2);
      assert.equal(decode(res.body, 'gzip'), PAGE);
    });

    it('no Accept-Encoding: identity, still with Vary: Accept-Encoding', async () => {
      const res = await fetch(server.port, '/page', { headers: { 'User-Agent': CHROME } });
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.headers.vary, 'Accept-Encoding');
      assert.equal(res.body.toString(), PAGE);
    });

    it('a tool without "gzip" in its User-Agent gets identity, as on App Engine; with it, gzip', async () => {
      const curl = await fetch(server.port, '/page', { headers: { 'User-Agent': 'curl/8.5.0', 'Accept-Encoding': 'gzip' } });
      assert.equal(curl.headers['content-encoding'], undefined);
      const none = await fetch(server.port, '/page', { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(none.headers['content-encoding'], undefined);
      const tagged = await fetch(server.port, '/page', { headers: { 'User-Agent': 'my program (gzip)', 'Accept-Encoding': 'gzip' } });
      assert.equal(tagged.headers['content-encoding'], 'gzip');
      const forced = await fetch(server.port, '/page', { headers: { 'User-Agent': 'gzip', 'Accept-Encoding': 'gzip' } });
      assert.equal(forced.headers['content-encoding'], 'gzip');
    });

    it('browsers with broken gzip get identity', async () => {
      const ie6 = await fetch(server.port, '/page', { headers: { 'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)', 'Accept-Encoding': 'gzip' } });
      assert.equal(ie6.headers['content-encoding'], undefined);
      const ie6sp2 = await fetch(server.port, '/page', { headers: { 'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)', 'Accept-Encoding': 'gzip' } });
      assert.equal(ie6sp2.headers['content-encoding'], 'gzip');
    });

    it('a whole backend response on a captured request is compressed once, not captured again', async () => {
      const res = await fetch(server.port, '/backend', { headers: BROWSER });
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(decode(res.body, 'gzip'), PAGE);
    });

    it('the app never sees Accept-Encoding, whatever it gets', async () => {
      const res = await fetch(server.port, '/what-app-sees', { headers: BROWSER });
      assert.equal(res.body.toString(), 'ae=none');
    });

    it('br only when the client ranks it above gzip', async () => {
      const prefers = await fetch(server.port, '/page', { headers: { 'User-Agent': CHROME, 'Accept-Encoding': 'br;q=1, gzip;q=0.5' } });
      assert.equal(prefers.headers['content-encoding'], 'br');
      assert.equal(decode(prefers.body, 'br'), PAGE);
      const tie = await fetch(server.port, '/page', { headers: { 'User-Agent': CHROME, 'Accept-Encoding': 'br, gzip' } });
      assert.equal(tie.headers['content-encoding'], 'gzip');
    });
  });

  describe('what gets it', () => {
    it('JSON and SVG are compressed; PNG is not, and gets no Vary', async () => {
      const json = await fetch(server.port, '/json', { headers: BROWSER });
      assert.equal(json.headers['content-encoding'], 'gzip');
      assert.deepEqual(JSON.parse(decode(json.body, 'gzip')), { items: PAGE.split('\n') });
      const svg = await fetch(server.port, '/svg', { headers: BROWSER });
      assert.equal(svg.headers['content-encoding'], 'gzip');
      const png = await fetch(server.port, '/png', { headers: BROWSER });
      assert.equal(png.headers['content-encoding'], undefined);
      // The rules' Vary (no caching headers from the app) is there; compression adds none.
      assert.equal(png.headers.vary, 'Accept-Encoding');
      const staticPng = await fetch(server.port, '/static/photo.png', { headers: BROWSER });
      assert.equal(staticPng.headers['content-encoding'], undefined);
      assert.equal(staticPng.headers.vary, undefined);
    });

    it('bodies under 1 KiB are sent as they are', async () => {
      const res = await fetch(server.port, '/small', { headers: BROWSER });
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.body.toString(), 'just a few bytes');
      const tiny = await fetch(server.port, '/static/tiny.css', { headers: BROWSER });
      assert.equal(tiny.headers['content-encoding'], undefined);
      assert.equal(tiny.headers.vary, 'Accept-Encoding');
    });

    it('Cache-Control: no-transform is honoured', async () => {
      const res = await fetch(server.port, '/no-transform', { headers: BROWSER });
      assert.equal(res.headers['content-encoding'], undefined);
    });

    it("the app's own Content-Encoding is removed (App Engine's rule) and the body compressed once", async () => {
      const res = await fetch(server.port, '/self-encoded', { headers: BROWSER });
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(decode(res.body, 'gzip'), PAGE);
    });

    it('HEAD gets the headers a compressed GET gets, without a length or a body', async () => {
      for (const path of ['/page', '/static/page.html']) {
        const res = await fetch(server.port, path, { method: 'HEAD', headers: BROWSER });
        assert.equal(res.headers['content-encoding'], 'gzip', path);
        assert.equal(res.headers['content-length'], undefined, path);
        assert.equal(res.body.length, 0, path);
      }
    });
  });

  describe('static files', () => {
    it('compresses a file from memory and weakens its ETag; identity keeps the strong one', async () => {
      const plain = await fetch(server.port, '/static/page.html', { headers: { 'User-Agent': CHROME } });
      const etag = plain.headers.etag!;
      assert.match(etag, /^"/);
      assert.equal(plain.headers['content-length'], String(PAGE.length));
      // Served without the frontend in the way (no coding for this client), yet varying like the gzip answer.
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      const revalidated = await fetch(server.port, '/static/page.html', { headers: { 'User-Agent': CHROME, 'If-None-Match': etag } });
      assert.equal(revalidated.status, 304);
      assert.equal(revalidated.headers.vary, 'Accept-Encoding');
      const gz = await fetch(server.port, '/static/page.html', { headers: BROWSER });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers.etag, `W/${etag}`);
      assert.equal(gz.headers['cache-control'], 'public, max-age=600');
      assert.equal(decode(gz.body, 'gzip'), PAGE);
    });

    it('the weak tag revalidates: 304 carrying the weak tag back; the strong one still works', async () => {
      const { headers } = await fetch(server.port, '/static/page.html', { headers: BROWSER });
      const weak = headers.etag!;
      const again = await fetch(server.port, '/static/page.html', { headers: { ...BROWSER, 'If-None-Match': weak } });
      assert.equal(again.status, 304);
      assert.equal(again.headers.etag, weak);
      assert.equal(again.body.length, 0);
      const strong = weak.slice(2);
      const identity = await fetch(server.port, '/static/page.html', { headers: { ...BROWSER, 'If-None-Match': strong } });
      assert.equal(identity.status, 304);
      assert.equal(identity.headers.etag, strong);
      // A weak tag never satisfies If-Match (strong comparison): 412, as RFC 9110 wants.
      const ifMatch = await fetch(server.port, '/static/page.html', { headers: { ...BROWSER, 'If-Match': weak } });
      assert.equal(ifMatch.status, 412);
    });

    it('compresses a file from memory once per encoding, and reuses it', async () => {
      const gzipSync = zlib.gzipSync;
      let calls = 0;
      zlib.gzipSync = ((...args: Parameters<typeof gzipSync>) => {
        calls++;
        return gzipSync(...args);
      }) as typeof gzipSync;
      try {
        const first = await fetch(server.port, '/static/page.html?reuse', { headers: BROWSER });
        const second = await fetch(server.port, '/static/page.html?reuse', { headers: BROWSER });
        assert.equal(second.headers['content-encoding'], 'gzip');
        assert.deepEqual(second.body, first.body);
        // At most the first one compressed (an earlier test may already have).
        assert.ok(calls <= 1, `compressed ${calls} times`);
        // The counter does see compressions: a script response is compressed every time.
        const before = calls;
        await fetch(server.port, '/page', { headers: BROWSER });
        assert.equal(calls, before + 1);
      } finally {
        zlib.gzipSync = gzipSync;
      }
    });

    it('never compresses a range', async () => {
      const res = await fetch(server.port, '/static/page.html', { headers: { ...BROWSER, Range: 'bytes=0-99' } });
      assert.equal(res.status, 206);
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.body.toString(), PAGE.slice(0, 100));
    });

    it('compresses a large file streamed from disk', async () => {
      const res = await fetch(server.port, '/static/big.txt', { headers: BROWSER });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(res.headers['content-length'], undefined);
      assert.equal(decode(res.body, 'gzip'), BIG);
      const plain = await fetch(server.port, '/static/big.txt');
      assert.equal(plain.headers['content-length'], String(BIG.length));
      assert.equal(plain.body.toString(), BIG);
    });
  });
});

describe('compression: streamed script responses', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      frontend: { streamResponses: true },
      script(app) {
        app.get('/pieces', (_req, res) => {
          res.type('text');
          let i = 0;
          const next = () => (i++ < 20 ? res.write(text(1000), () => setImmediate(next)) : res.end());
          next();
        });
      },
    });
  });
  after(() => server.close());

  it('compresses as the app writes', async () => {
    const res = await fetch(server.port, '/pieces', { headers: BROWSER });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(decode(res.body, 'gzip'), text(1000).repeat(20));
  });
});

describe('compression off', () => {
  it('compression: false sends identity and adds no Vary of its own', async () => {
    const server = await startFrontendServer({
      yaml: YAML,
      files: { 'static/page.html': PAGE },
      frontend: { compression: false },
    });
    try {
      const res = await fetch(server.port, '/static/page.html', { headers: BROWSER });
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.headers.vary, undefined);
      assert.equal(res.body.toString(), PAGE);
    } finally {
      await server.close();
    }
  });
});

describe('compression decisions (units)', () => {
  it('userAgentTakesGzip: browsers, tools, the gzip token, the broken ones', () => {
    const cases: Array<[string | undefined, boolean]> = [
      [CHROME, true],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1', true],
      ['Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.16', true],
      ['Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)', true],
      ['Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)', false],
      ['Mozilla/4.08 [en] (Win98; I)', false],
      ['Mozilla/4.78 [en] (X11; U; Linux i686)', false],
      ['curl/8.5.0', false],
      ['okhttp/4.12.0', false],
      ['python-requests/2.31.0', false],
      ['Go-http-client/1.1', false],
      ['Google-HTTP-Java-Client/1.43.3 (gzip)', true],
      ['Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1) gzip', true],
      ['', false],
      [undefined, false],
    ];
    for (const [ua, expected] of cases) assert.equal(userAgentTakesGzip(ua), expected, String(ua));
  });

  it('negotiateEncoding follows the q-values; gzip wins ties; identity when asked', () => {
    const ua = CHROME;
    const cases: Array<[string, string | undefined]> = [
      ['gzip', 'gzip'],
      ['gzip, deflate, br, zstd', 'gzip'],
      ['br', 'br'],
      ['br;q=0.9, gzip;q=0.8', 'br'],
      ['deflate', undefined],
      ['identity', undefined],
      ['gzip;q=0', undefined],
      ['gzip;q=0.5, identity', undefined],
      ['*', 'gzip'],
      ['*;q=0', undefined],
      [',,;;=', undefined],
    ];
    for (const [acceptEncoding, expected] of cases) assert.equal(negotiateEncoding({ acceptEncoding, userAgent: ua }), expected, acceptEncoding);
  });

  it('the policy refuses ranges, bodiless statuses, encoded bodies, no-transform, other types', () => {
    const plan = compressionPolicy({ threshold: 10 });
    const req = { method: 'GET', acceptEncoding: 'gzip', userAgent: CHROME };
    const html: Array<[string, string]> = [['Content-Type', 'text/html']];
    assert.deepEqual(plan(req, 200, html, 100), { vary: true, encoding: 'gzip' });
    assert.deepEqual(plan(req, 404, html, 100), { vary: true, encoding: 'gzip' });
    assert.deepEqual(plan(req, 200, html, 5), { vary: true, encoding: undefined });
    for (const status of [204, 206, 304]) assert.equal(plan(req, status, html, 100).encoding, undefined, String(status));
    assert.equal(plan(req, 200, [...html, ['Content-Encoding', 'gzip']], 100).encoding, undefined);
    assert.equal(plan(req, 200, [...html, ['Content-Range', 'bytes 0-1/2']], 100).encoding, undefined);
    assert.equal(plan(req, 200, [...html, ['Cache-Control', 'public, No-Transform']], 100).encoding, undefined);
    assert.deepEqual(plan(req, 200, [['Content-Type', 'application/zip']], 100), { vary: false, encoding: undefined });
    assert.deepEqual(plan(req, 200, [], 100), { vary: false, encoding: undefined });
    assert.throws(() => compressionPolicy({ threshold: -1 }), /threshold/);
  });
});
