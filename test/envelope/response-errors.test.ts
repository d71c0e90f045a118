/**
 * error_handlers pages (app-engine.md §3.5): they replace the frontend's own error pages (a
 * deadline, a crashed backend, an oversize response, quota and DoS refusals), never the app's
 * own errors; production status codes are kept.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fetch, startFrontendServer, type FrontendServer } from './response-harness.js';

const TIMEOUT_PAGE = '<h1>Took too long</h1>';
const DEFAULT_PAGE = 'Something broke on our side.';
const QUOTA_PAGE = '<h1>Over quota</h1>';

function yaml(handlers: string): string {
  return `runtime: python27\napi_version: 1\nthreadsafe: true\nhandlers:\n- url: /.*\n  script: main.app\n${handlers}`;
}

/** The routes every server here has. */
function routes(server: () => FrontendServer) {
  return (app: import('express').Express) => {
    app.get('/hang', () => {});
    app.get('/partial-then-hang', (_req, res) => {
      res.type('text').write('half of a');
      // Keeps writing after the deadline has answered: dropped, and nothing crashes.
      setTimeout(() => res.end(' response'), 400);
    });
    app.get('/late-public', (_req, res) => {
      setTimeout(() => res.set('Cache-Control', 'public, max-age=60').type('text').send('too late'), 300);
    });
    app.get('/crash', (req, res) => server().frontend.answerError(req, res, 502));
    app.get('/quota', (req, res) => server().frontend.answerError(req, res, 503, 'over_quota'));
    app.get('/dos', (req, res) => server().frontend.answerError(req, res, 403, 'dos_api_denial'));
    app.get('/app-500', (_req, res) => res.status(500).type('text').send('the app says 500'));
    app.get('/app-404', (_req, res) => res.status(404).type('text').send('the app says 404'));
    app.get('/big', (_req, res) => res.type('text').send('x'.repeat(2000)));
    app.post('/upload', (_req, res) => res.type('text').write('answer started before the body'));
  };
}

describe('error_handlers: timeout, default, over_quota pages', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      yaml: yaml(
        'error_handlers:\n- error_code: timeout\n  file: errors/timeout.html\n- file: errors/default.txt\n  mime_type: text/plain\n- error_code: over_quota\n  file: errors/quota.html\n',
      ),
      files: { 'errors/timeout.html': TIMEOUT_PAGE, 'errors/default.txt': DEFAULT_PAGE, 'errors/quota.html': QUOTA_PAGE },
      frontend: { responseLimit: 1000, frontendCache: true },
      envelope: { deadline: 200, limits: { body: 10 } },
      script: routes(() => server),
    });
  });
  after(() => server.close());

  it('a deadline gets the timeout page, status 500, with its type from the extension', async () => {
    const res = await fetch(server.port, '/hang');
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), TIMEOUT_PAGE);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  });

  it('what the app had buffered before the deadline is replaced, and its later writes dropped', async () => {
    const res = await fetch(server.port, '/partial-then-hang');
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), TIMEOUT_PAGE);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await fetch(server.port, '/app-404')).status, 404, 'the server is still fine');
  });

  it('a response that comes after its deadline is dropped, not stored in the cache', async () => {
    const first = await fetch(server.port, '/late-public');
    assert.equal(first.body.toString(), TIMEOUT_PAGE);
    await new Promise((r) => setTimeout(r, 300));
    const hits = server.scriptHits;
    const second = await fetch(server.port, '/late-public');
    assert.equal(second.body.toString(), TIMEOUT_PAGE);
    assert.equal(server.scriptHits, hits + 1);
  });

  it('a crashed backend gets the default page with 502 and its mime_type; HEAD gets no body', async () => {
    const res = await fetch(server.port, '/crash');
    assert.equal(res.status, 502);
    assert.equal(res.body.toString(), DEFAULT_PAGE);
    assert.equal(res.headers['content-type'], 'text/plain');
    const head = await fetch(server.port, '/crash', { method: 'HEAD' });
    assert.equal(head.status, 502);
    assert.equal(head.body.length, 0);
  });

  it('a response over the limit gets the default page (500) instead of the empty body', async () => {
    const res = await fetch(server.port, '/big');
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), DEFAULT_PAGE);
  });

  it('over_quota has its own page; dos_api_denial falls back to the default one', async () => {
    const quota = await fetch(server.port, '/quota');
    assert.equal(quota.status, 503);
    assert.equal(quota.body.toString(), QUOTA_PAGE);
    const dos = await fetch(server.port, '/dos');
    assert.equal(dos.status, 403);
    assert.equal(dos.body.toString(), DEFAULT_PAGE);
  });

  it("the app's own errors pass through unchanged", async () => {
    const res500 = await fetch(server.port, '/app-500');
    assert.equal(res500.status, 500);
    assert.equal(res500.body.toString(), 'the app says 500');
    const res404 = await fetch(server.port, '/app-404');
    assert.equal(res404.body.toString(), 'the app says 404');
  });

  it("a request body over the limit is answered 413 by the envelope, replacing the app's buffered start", async () => {
    const res = await new Promise<{ status: number; body: string }>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/upload', method: 'POST', headers: { 'Transfer-Encoding': 'chunked' }, agent: false }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => ok({ status: r.statusCode!, body }));
      });
      req.on('error', fail);
      req.write('x'.repeat(5));
      setTimeout(() => req.end('y'.repeat(50)), 50);
    });
    assert.equal(res.status, 413);
    assert.equal(res.body, 'Payload Too Large\n');
  });
});

describe('error_handlers: a default page only', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      yaml: yaml('error_handlers:\n- error_code: default\n  file: oops.html\n'),
      files: { 'oops.html': DEFAULT_PAGE },
      envelope: { deadline: 150 },
      script: routes(() => server),
    });
  });
  after(() => server.close());

  it('stands in for the timeout page', async () => {
    const res = await fetch(server.port, '/hang');
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), DEFAULT_PAGE);
  });
});

describe('no error_handlers', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({ frontend: { responseLimit: 1000 }, envelope: { deadline: 150 }, script: routes(() => server) });
  });
  after(() => server.close());

  it("the frontend's own pages: generic 500 for a deadline and 502 for a crash, empty 500 for oversize", async () => {
    const hang = await fetch(server.port, '/hang');
    assert.equal(hang.status, 500);
    assert.match(hang.body.toString(), /<h1>Error: Server Error<\/h1>/);
    const crash = await fetch(server.port, '/crash');
    assert.equal(crash.status, 502);
    assert.match(crash.body.toString(), /<title>502 Bad Gateway<\/title>/);
    const big = await fetch(server.port, '/big');
    assert.equal(big.status, 500);
    assert.equal(big.body.length, 0);
  });
});

describe("the envelope's onDeadline given in code", () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      envelope: {
        deadline: 150,
        onDeadline: (_req, res) => {
          res.writeHead(503, { 'Content-Type': 'text/plain' });
          res.end('custom deadline answer');
        },
      },
      script: routes(() => server),
    });
  });
  after(() => server.close());

  it('answers in place of what the app had buffered', async () => {
    const res = await fetch(server.port, '/partial-then-hang');
    assert.equal(res.status, 503);
    assert.equal(res.body.toString(), 'custom deadline answer');
  });
});

describe('error pages when streaming', () => {
  let server: FrontendServer;
  before(async () => {
    server = await startFrontendServer({
      yaml: yaml('error_handlers:\n- error_code: timeout\n  file: t.html\n'),
      files: { 't.html': TIMEOUT_PAGE },
      frontend: { streamResponses: true },
      envelope: { deadline: 150 },
      script: routes(() => server),
    });
  });
  after(() => server.close());

  it('a deadline after the response started cuts the connection; before, the page is sent', async () => {
    await assert.rejects(fetch(server.port, '/partial-then-hang'));
    const res = await fetch(server.port, '/hang');
    assert.equal(res.body.toString(), TIMEOUT_PAGE);
  });
});
