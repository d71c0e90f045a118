/**
 * App Engine's dynamic response rules (app-engine.md §3.4, production variant), over real HTTP:
 * an Express app is the script, behind the frontend's adapter. The pure function is checked on
 * its own too, as the WSGI backend calls it without the adapter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { applyDynamicResponseRules, rewriteDynamicHeaders } from '../../lib/envelope/response-rules.js';
import { fetch, startFrontendServer, type FrontendServer } from './response-harness.js';

const FUTURE = 'Thu, 01 Jan 2099 00:00:00 GMT';
const PAST = 'Mon, 01 Jan 1990 00:00:00 GMT';

/** Every value of `name` in the raw header list. */
function all(raw: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

describe('dynamic response rules over HTTP (buffered, the default)', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      frontend: { compression: false, responseLimit: 1000 },
      files: { 'page.txt': 'from disk\n' },
      script(app, root) {
        app.get('/framing', (_req, res) => {
          res.set({
            Connection: 'x-custom',
            'Keep-Alive': 'timeout=99',
            'Proxy-Authenticate': 'Basic',
            Trailer: 'X-Checksum',
            Upgrade: 'h2c',
            'Transfer-Encoding': 'chunked',
            'Content-Encoding': 'gzip',
            Date: 'yesterday',
            Server: 'gunicorn',
            'Content-Length': '999',
            'X-Kept': 'yes: with a colon',
            'Cache-Control': 'no-store',
            'Content-Type': 'text/plain',
          });
          res.end('hello');
        });
        app.get('/latin1', (_req, res) => {
          res.setHeader('X-Cafe', 'caf\u00e9');
          res.setHeader('X-Tab', 'a\tb');
          res.setHeader('X-Fine', 'plain');
          res.end('x');
        });
        app.get('/bare', (_req, res) => res.end('x'));
        app.get('/vary-origin', (_req, res) => res.vary('Origin').end('x'));
        app.get('/cache-control-only', (_req, res) => res.set('Cache-Control', 'max-age=60').type('png').end('x'));
        app.get('/expires-only', (_req, res) => res.set('Expires', FUTURE).type('png').end('x'));
        app.get('/cookie', (req, res) => {
          res.cookie('session', 'abc');
          const cc = req.query.cc;
          if (typeof cc === 'string') res.set('Cache-Control', cc);
          const expires = req.query.expires;
          if (typeof expires === 'string') res.set('Expires', expires);
          res.status(req.query.status ? Number(req.query.status) : 200).send('x');
        });
        app.get('/no-content', (_req, res) => res.status(204).set('Content-Length', '5').end('hello'));
        app.get('/not-modified', (_req, res) => res.status(304).end('hello'));
        app.get('/head', (_req, res) => res.type('text/plain').send('twelve bytes'));
        app.get('/wrong-length', (_req, res) => res.set('Content-Length', '3').end('hello'));
        app.get('/write-head', (_req, res) => {
          res.setHeader('X-Before', 'b');
          res.writeHead(201, 'Made', ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'text/plain']);
          res.end('ok');
        });
        app.get('/write-head-raw', (_req, res) => {
          // An empty store, then a flat list with a repeated name: the way a plain Node app writes.
          res.removeHeader('X-Powered-By');
          res.writeHead(200, ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'text/plain']);
          res.end('ok');
        });
        app.get('/write-head-no-reason', (_req, res) => {
          res.writeHead(202, undefined as unknown as string, { 'Content-Type': 'text/plain', 'X-After': 'a' });
          res.end('ok');
        });
        app.get('/bad-status', (_req, res) => res.status(150).end('x'));
        app.get('/size/:n', (req, res) => {
          const n = Number(req.params.n);
          res.type('text/plain');
          // In pieces, as a template engine or a pipe would write it.
          for (let sent = 0; sent < n; sent += 100) res.write('y'.repeat(Math.min(100, n - sent)));
          res.end();
        });
        app.get('/slow', (_req, res) => {
          res.write('a');
          setTimeout(() => res.end('b'), 50);
        });
        app.get('/send-file', (_req, res) => res.sendFile('page.txt', { root }));
      },
    });
  });
  after(() => server.close());

  it('removes hop-by-hop, Content-Encoding, Content-Length, Date and Server from the app; keeps the rest', async () => {
    const res = await fetch(server.port, '/framing');
    assert.equal(res.body.toString(), 'hello');
    // Node's own framing is back: Connection and Date from the server, not from the app.
    assert.equal(res.headers.connection, 'close');
    for (const name of ['keep-alive', 'proxy-authenticate', 'trailer', 'upgrade', 'transfer-encoding', 'content-encoding']) {
      assert.equal(res.headers[name], undefined, name);
    }
    assert.equal(res.headers['content-length'], '5');
    assert.notEqual(res.headers.date, 'yesterday');
    assert.ok(!Number.isNaN(Date.parse(res.headers.date!)));
    assert.deepEqual(all(res.raw, 'server'), ['Google Frontend']);
    assert.equal(res.headers['x-kept'], 'yes: with a colon');
  });

  it('removes headers whose value is not printable ASCII (non-ASCII, tab)', async () => {
    const res = await fetch(server.port, '/latin1');
    assert.equal(res.headers['x-cafe'], undefined);
    assert.equal(res.headers['x-tab'], undefined);
    assert.equal(res.headers['x-fine'], 'plain');
  });

  it('no caching headers → Cache-Control: private, Vary: Accept-Encoding; no Content-Type → text/html', async () => {
    const res = await fetch(server.port, '/bare');
    assert.equal(res.headers['cache-control'], 'private');
    assert.equal(res.headers.vary, 'Accept-Encoding');
    assert.equal(res.headers['content-type'], 'text/html');
    assert.equal(res.headers.expires, undefined);
  });

  it("adds Accept-Encoding to the app's own Vary", async () => {
    const res = await fetch(server.port, '/vary-origin');
    assert.equal(res.headers.vary, 'Origin, Accept-Encoding');
  });

  it('leaves the caching headers the app set (Cache-Control or Expires alone) as they are', async () => {
    const cc = await fetch(server.port, '/cache-control-only');
    assert.equal(cc.headers['cache-control'], 'max-age=60');
    assert.equal(cc.headers.vary, undefined);
    const expires = await fetch(server.port, '/expires-only');
    assert.equal(expires.headers.expires, FUTURE);
    assert.equal(expires.headers['cache-control'], undefined);
  });

  it('Set-Cookie: private added, Expires pulled to now', async () => {
    const before = Date.now() - 1000;
    const res = await fetch(server.port, '/cookie');
    assert.equal(res.headers['cache-control'], 'private');
    const expires = Date.parse(res.headers.expires!);
    assert.ok(expires >= before && expires <= Date.now() + 1000, res.headers.expires);
    assert.deepEqual(res.headers['set-cookie'], ['session=abc; Path=/']);
  });

  it('Set-Cookie: public dropped for private; stricter no-cache / no-store kept without private', async () => {
    const pub = await fetch(server.port, '/cookie?cc=public,%20max-age=600');
    assert.equal(pub.headers['cache-control'], 'max-age=600, private');
    const noCache = await fetch(server.port, '/cookie?cc=public,%20no-cache');
    assert.equal(noCache.headers['cache-control'], 'no-cache');
    const noStore = await fetch(server.port, '/cookie?cc=no-store');
    assert.equal(noStore.headers['cache-control'], 'no-store');
    const qualified = await fetch(server.port, '/cookie?cc=no-cache=%22Set-Cookie%22');
    assert.equal(qualified.headers['cache-control'], 'no-cache="Set-Cookie", private');
  });

  it('Set-Cookie: an Expires in the past stays, a future or unparsable one becomes now; on any status', async () => {
    const past = await fetch(server.port, `/cookie?expires=${encodeURIComponent(PAST)}`);
    assert.equal(past.headers.expires, PAST);
    const future = await fetch(server.port, `/cookie?expires=${encodeURIComponent(FUTURE)}&status=404`);
    assert.equal(future.status, 404);
    assert.ok(Date.parse(future.headers.expires!) < Date.now() + 1000);
    assert.equal(future.headers['cache-control'], 'private');
    const junk = await fetch(server.port, '/cookie?expires=soon');
    assert.ok(Math.abs(Date.parse(junk.headers.expires!) - Date.now()) < 2000);
  });

  it('204 and 304 lose their body and its headers; no Content-Type is added to them', async () => {
    const noContent = await fetch(server.port, '/no-content');
    assert.equal(noContent.status, 204);
    assert.equal(noContent.body.length, 0);
    assert.equal(noContent.headers['content-length'], undefined);
    assert.equal(noContent.headers['content-type'], undefined);
    assert.equal(noContent.headers['cache-control'], undefined);
    const notModified = await fetch(server.port, '/not-modified');
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    assert.equal(notModified.headers['content-type'], undefined);
  });

  it('HEAD keeps the headers (and the length a GET would have) without the body', async () => {
    const res = await fetch(server.port, '/head', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers['content-length'], '12');
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers.server, 'Google Frontend');
  });

  it("Content-Length is the body's real length, whatever the app said", async () => {
    const res = await fetch(server.port, '/wrong-length');
    assert.equal(res.headers['content-length'], '5');
    assert.equal(res.body.toString(), 'hello');
  });

  it('writeHead with a reason and a flat header list (repeated Set-Cookie) is taken as Node would', async () => {
    const res = await fetch(server.port, '/write-head');
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers['x-before'], 'b');
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(res.headers['cache-control'], 'private');
    const raw = await fetch(server.port, '/write-head-raw');
    assert.deepEqual(raw.headers['set-cookie'], ['a=1', 'b=2']);
    const noReason = await fetch(server.port, '/write-head-no-reason');
    assert.equal(noReason.status, 202);
    assert.equal(noReason.headers['x-after'], 'a');
  });

  it('a status that cannot end a response is the backend failing: 502', async () => {
    const res = await fetch(server.port, '/bad-status');
    assert.equal(res.status, 502);
    assert.match(res.body.toString(), /502 Bad Gateway/);
  });

  it('buffers the whole response: Content-Length, not chunked, even when written in pieces over time', async () => {
    const res = await fetch(server.port, '/slow');
    assert.equal(res.body.toString(), 'ab');
    assert.equal(res.headers['content-length'], '2');
    assert.equal(res.headers['transfer-encoding'], undefined);
  });

  it('a response of exactly the limit is sent; one byte more is 500 with an empty body', async () => {
    const exact = await fetch(server.port, '/size/1000');
    assert.equal(exact.status, 200);
    assert.equal(exact.body.length, 1000);
    const over = await fetch(server.port, '/size/1001');
    assert.equal(over.status, 500);
    assert.equal(over.body.length, 0);
    assert.equal(over.headers['content-length'], '0');
  });

  it("Express's sendFile (a piped stream) is captured too", async () => {
    const res = await fetch(server.port, '/send-file');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'from disk\n');
    assert.equal(res.headers['content-length'], '10');
    assert.equal(res.headers.server, 'Google Frontend');
    // send's own Cache-Control (public, max-age=0) is kept: the app set a caching header.
    assert.equal(res.headers['cache-control'], 'public, max-age=0');
  });
});

describe('dynamic response rules, streamed (streamResponses: true)', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      frontend: { compression: false, streamResponses: true, responseLimit: 1000 },
      script(app) {
        app.get('/slow', (_req, res) => {
          res.set({ Server: 'gunicorn', 'Content-Length': '2' });
          res.write('a');
          setTimeout(() => res.end('b'), 20);
        });
        app.get('/size/:n', (req, res) => {
          const n = Number(req.params.n);
          for (let sent = 0; sent < n; sent += 100) res.write('y'.repeat(Math.min(100, n - sent)));
          res.end();
        });
        app.get('/whole', (_req, res) => res.send('y'.repeat(1001)));
      },
    });
  });
  after(() => server.close());

  it('applies the header rules and streams the body chunked', async () => {
    const res = await fetch(server.port, '/slow');
    assert.equal(res.body.toString(), 'ab');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers.server, 'Google Frontend');
    assert.equal(res.headers['cache-control'], 'private');
  });

  it('cuts the connection when the streamed body passes the limit', async () => {
    await assert.rejects(fetch(server.port, '/size/1500'));
    const fine = await fetch(server.port, '/size/1000');
    assert.equal(fine.body.length, 1000);
  });

  it('a body ended in one call over the limit is still answered 500 (nothing was sent yet)', async () => {
    const res = await fetch(server.port, '/whole');
    assert.equal(res.status, 500);
    assert.equal(res.body.length, 0);
  });
});

describe('a whole response from a backend (sendScriptResponse)', () => {
  let server: FrontendServer;
  const body = Buffer.from('<p>from the backend</p>'.repeat(100));
  before(async () => {
    server = await startFrontendServer({
      captureScripts: false,
      envelope: { deadline: 150 },
      frontend: { frontendCache: true },
      script(app) {
        app.get('/wsgi', (req, res) =>
          server.frontend.sendScriptResponse(req, res, {
            status: 200,
            headers: [['Bad Name', 'x'], ['X-Ok', '1'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Server', 'gunicorn'], ['Content-Type', 'text/html']],
            body,
          }),
        );
        app.get('/late', (req, res) => {
          setTimeout(() => server.frontend.sendScriptResponse(req, res, { status: 200, headers: [['Cache-Control', 'public, max-age=60']], body }), 250);
        });
      },
    });
  });
  after(() => server.close());

  it('gets the rules, compression and every repeated header', async () => {
    const res = await fetch(server.port, '/wsgi', { headers: { 'User-Agent': 'Mozilla/5.0', 'Accept-Encoding': 'gzip' } });
    assert.equal(res.headers['bad name'], undefined);
    assert.equal(res.headers['x-ok'], '1');
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers.server, 'Google Frontend');
    assert.equal(res.headers['cache-control'], 'private');
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(res.body), body);
  });

  it('is dropped after its deadline, and not cached', async () => {
    const first = await fetch(server.port, '/late');
    assert.equal(first.status, 500);
    await new Promise((r) => setTimeout(r, 200));
    const hits = server.scriptHits;
    await fetch(server.port, '/late');
    assert.equal(server.scriptHits, hits + 1);
  });
});

describe('the rules as a pure function (what the WSGI backend calls)', () => {
  const now = Date.UTC(2024, 0, 2, 3, 4, 5);

  it('drops headers with invalid names or values instead of throwing', () => {
    const out = applyDynamicResponseRules(
      {
        status: 200,
        headers: [
          ['Bad Name', 'x'],
          ['X:Colon', 'x'],
          ['', 'x'],
          ['X-Ctl', 'a\u0001b'],
          ['X-Newline', 'a\r\nInjected: 1'],
          ['X-Del', 'a\u007f'],
          ['X-Ok', 'fine'],
          ['Content-Type', 'text/plain'],
        ],
        body: Buffer.from('hi'),
      },
      { method: 'GET', now },
    );
    assert.deepEqual(out.headers, [
      ['X-Ok', 'fine'],
      ['Content-Type', 'text/plain'],
      ['Cache-Control', 'private'],
      ['Vary', 'Accept-Encoding'],
      ['Server', 'Google Frontend'],
      ['Content-Length', '2'],
    ]);
  });

  it('Set-Cookie with no caching headers: private, Vary, Expires = now', () => {
    const headers = rewriteDynamicHeaders(200, [['Set-Cookie', 'a=b']], { method: 'GET', now });
    assert.deepEqual(headers, [
      ['Set-Cookie', 'a=b'],
      ['Content-Type', 'text/html'],
      ['Vary', 'Accept-Encoding'],
      ['Cache-Control', 'private'],
      ['Expires', 'Tue, 02 Jan 2024 03:04:05 GMT'],
      ['Server', 'Google Frontend'],
    ]);
  });

  it('merges several Cache-Control fields when Set-Cookie rewrites them', () => {
    const headers = rewriteDynamicHeaders(200, [['Cache-Control', 'public'], ['Cache-Control', 'max-age=5'], ['Set-Cookie', 'a=b'], ['Expires', PAST]], { method: 'GET', now });
    assert.deepEqual(headers.filter(([n]) => n === 'Cache-Control' || n === 'Expires'), [
      ['Expires', PAST],
      ['Cache-Control', 'max-age=5, private'],
    ]);
  });

  it('HEAD: no body; an app Content-Length that is a number is kept, another is not', () => {
    const kept = applyDynamicResponseRules({ status: 200, headers: [['Content-Length', '42']], body: Buffer.from('x') }, { method: 'HEAD', now });
    assert.equal(kept.body.length, 0);
    assert.deepEqual(kept.headers.filter(([n]) => n === 'Content-Length'), [['Content-Length', '42']]);
    const junk = applyDynamicResponseRules({ status: 200, headers: [['Content-Length', '4x']], body: Buffer.alloc(0) }, { method: 'HEAD', now });
    assert.deepEqual(junk.headers.filter(([n]) => n === 'Content-Length'), []);
  });
});
