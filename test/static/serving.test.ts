/**
 * app-engine.md §2.2–§2.5 and §3.2 (production): which handler answers, which file, and with
 * which headers. appYaml() on node:http unless a test says otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { appYaml, type AppYamlMiddleware } from '../../lib/app-yaml.js';
import { ConfigError } from '../../lib/config/errors.js';
import { loadAppYaml } from '../../lib/config/load.js';
import { staticFiles } from '../../lib/handlers/static/index.js';
import { fetchPath, HOST_BODY, makeApp, removeDir, serveExpress, serveHttp, type Running } from './helpers.js';

const APP_YAML = String.raw`
runtime: python312
default_expiration: 1h
handlers:
- url: /hello
  static_files: static/hello.txt
  upload: static/hello\.txt
  expiration: 2d 3h

- url: /zero
  static_files: static/hello.txt
  upload: static/hello\.txt
  expiration: 0

- url: /pair/(.*)/(.*)
  static_files: static/\1/subdir/\2
  upload: static/.*

- url: /f/(.*)
  static_files: static/\1
  upload: static/.*

- url: /opt(/x)?/y
  static_files: static/hello\1.txt
  upload: static/.*

- url: /headers/(.*)
  static_files: static/\1
  upload: static/.*
  http_headers:
    Cache-Control: no-cache
    ETag: '"custom-tag"'
    Expires: Thu, 01 Jan 2037 00:00:00 GMT
    Content-Type: text/x-custom
    Strict-Transport-Security: max-age=31536000
    Vary: Origin

- url: /typed/(.*)
  static_files: static/\1
  upload: static/.*
  mime_type: application/x-special

- url: /a b
  static_files: static/hello.txt
  upload: static/hello\.txt

- url: /notupload/(.*)
  static_files: static/\1
  upload: static/img/.*

- url: /static
  static_dir: static

- url: /slash/
  static_dir: static/sub

- url: /maybe/(.*)
  static_files: static/\1
  upload: static/.*
  require_matching_file: true

- url: /maybe/(.*)
  static_files: static/fallback.txt
  upload: static/fallback\.txt

- url: /optional/(.*)
  static_files: missing/\1
  upload: missing/.*
  require_matching_file: true

- url: /dir-optional
  static_dir: nowhere
  require_matching_file: true

- url: /api/.*
  script: auto

- url: /missing/.*
  static_files: static/none.txt
  upload: static/none\.txt

- url: /missing/.*
  script: auto
`;

const FILES = {
  'app.yaml': APP_YAML,
  'static/hello.txt': 'Hello World!',
  'static/hello/x.txt': 'x',
  'static/fallback.txt': 'fallback',
  'static/hello/subdir/foo.jpg': 'JPEG',
  'static/sub/inner.txt': 'inner',
  'static/page.html': '<p>hi</p>',
  'static/style.css': 'p{}',
  'static/app.js': 'x()',
  'static/data.json': '{}',
  'static/pic.svg': '<svg/>',
  'static/blob.unknownext': 'bytes',
  'static/noext': 'bytes',
  'static/copy.txt': 'Hello World!',
  'static/empty.txt': '',
  'static/img/a.png': 'PNG',
};

let root: string;
let middleware: AppYamlMiddleware;
let http: Running;

before(async () => {
  root = makeApp(FILES);
  middleware = appYaml({ root });
  http = await serveHttp(middleware);
});

after(async () => {
  await http.close();
  middleware.close();
  removeDir(root);
});

const get = (path: string, options?: Parameters<typeof fetchPath>[2]) => fetchPath(http.port, path, options);

function contentEtag(text: string): string {
  return `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;
}

function assertExpires(headers: Record<string, unknown>, seconds: number): void {
  const date = Date.parse(String(headers.date));
  const expires = Date.parse(String(headers.expires));
  assert.match(String(headers.expires), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.ok(Math.abs(expires - date - seconds * 1000) <= 1000, `Expires ${headers.expires} is Date ${headers.date} + ${seconds}s`);
}

describe('§2.2 anchoring and what is matched', { timeout: 5000 }, () => {
  it('matches the whole path only', async () => {
    assert.equal((await get('/hello')).body.toString(), 'Hello World!');
    const longer = await get('/hello/x');
    assert.equal(longer.status, 404);
    assert.equal(longer.body.toString(), HOST_BODY, 'no handler matched: next()');
    assert.equal((await get('/hel')).body.toString(), HOST_BODY);
  });

  it('never matches the query string', async () => {
    const reply = await get('/hello?x=1');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello World!');
  });

  it('matches the decoded path', async () => {
    const reply = await get('/a%20b');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello World!');
  });
});

describe('§2.3 back-references', { timeout: 5000 }, () => {
  it('expands \\1 and \\2 into the file path', async () => {
    const reply = await get('/pair/hello/foo.jpg');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'JPEG');
    assert.equal(reply.headers['content-type'], 'image/jpeg');
  });

  it('expands an unmatched group to the empty string', async () => {
    assert.equal((await get('/opt/y')).body.toString(), 'Hello World!');
    assert.equal((await get('/opt/x/y')).body.toString(), 'x', 'static/hello/x.txt');
  });

  it('answers 404 for an expansion with an empty segment, and stops', async () => {
    const reply = await get('/f/');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.toString(), 'Not Found\n');
    assert.equal((await get('/f/hello//x.txt')).status, 404);
    assert.equal((await get('/f/hello/x.txt/')).status, 404);
    assert.equal((await get('/f/hello/x.txt')).body.toString(), 'x');
  });
});

describe('§2.4 static_dir mapping', { timeout: 5000 }, () => {
  it('maps url/<rest> to dir/<rest>', async () => {
    const reply = await get('/static/sub/inner.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'inner');
  });

  it('follows the table for /static, /static/, directories and neighbours', async () => {
    assert.equal((await get('/static')).body.toString(), HOST_BODY, '/static does not match');
    for (const path of ['/static/', '/static/sub', '/static/sub/', '/static//etc/passwd', '/static/hello']) {
      const reply = await get(path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body.toString(), 'Not Found\n', path);
    }
    assert.equal((await get('/staticfoo/x')).body.toString(), HOST_BODY, 'the / after the prefix is required');
  });

  it('does not double a trailing slash on url', async () => {
    assert.equal((await get('/slash/inner.txt')).body.toString(), 'inner');
    assert.equal((await get('/slash//inner.txt')).status, 404);
  });

  it('never serves an index file', async () => {
    const app = makeApp({
      'app.yaml': 'runtime: python312\nhandlers:\n- url: /\n  static_dir: static\n',
      'static/index.html': '<h1>index</h1>',
    });
    const mw = appYaml({ root: app });
    const server = await serveHttp(mw);
    try {
      const reply = await fetchPath(server.port, '/');
      assert.equal(reply.status, 404);
      assert.equal(reply.body.toString(), 'Not Found\n');
      assert.equal((await fetchPath(server.port, '/index.html')).body.toString(), '<h1>index</h1>');
    } finally {
      await server.close();
      mw.close();
      removeDir(app);
    }
  });
});

describe('§2.5 missing files and require_matching_file', { timeout: 5000 }, () => {
  it('answers 404 for a missing file and does not try later handlers', async () => {
    const reply = await get('/missing/thing');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.toString(), 'Not Found\n', 'the later script handler is not tried');
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
  });

  it('goes on to the next handler when require_matching_file is set', async () => {
    assert.equal((await get('/maybe/hello.txt')).body.toString(), 'Hello World!');
    const reply = await get('/maybe/nothing.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'fallback');
  });

  it('falls through to next() when nothing after it matches', async () => {
    assert.equal((await get('/optional/x')).body.toString(), HOST_BODY);
    assert.equal((await get('/dir-optional/x')).body.toString(), HOST_BODY);
  });

  it('serves a static_files file only if upload matches it', async () => {
    assert.equal((await get('/notupload/hello.txt')).status, 404);
    assert.equal((await get('/notupload/img/a.png')).body.toString(), 'PNG');
  });

  it('sends script handlers to next()', async () => {
    const reply = await get('/api/users');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.toString(), HOST_BODY);
  });
});

describe('§3.2 static response headers', { timeout: 5000 }, () => {
  it('sends Cache-Control and Expires from expiration', async () => {
    const reply = await get('/hello');
    assert.equal(reply.headers['cache-control'], 'public, max-age=183600');
    assertExpires(reply.headers, 183600);
  });

  it('uses default_expiration when the handler has none', async () => {
    const reply = await get('/static/sub/inner.txt');
    assert.equal(reply.headers['cache-control'], 'public, max-age=3600');
    assertExpires(reply.headers, 3600);
  });

  it('sends expiration 0 as max-age=0 and Expires = now', async () => {
    const reply = await get('/zero');
    assert.equal(reply.headers['cache-control'], 'public, max-age=0');
    assertExpires(reply.headers, 0);
  });

  it('uses 600 seconds when neither is set', async () => {
    const app = makeApp({
      'app.yaml': 'runtime: python312\nhandlers:\n- url: /s\n  static_dir: s\n',
      's/a.txt': 'a',
    });
    const mw = appYaml({ root: app });
    const server = await serveHttp(mw);
    try {
      const reply = await fetchPath(server.port, '/s/a.txt');
      assert.equal(reply.headers['cache-control'], 'public, max-age=600');
      assertExpires(reply.headers, 600);
    } finally {
      await server.close();
      mw.close();
      removeDir(app);
    }
  });

  it('sends a strong ETag derived from the bytes only', async () => {
    const a = await get('/hello');
    const b = await get('/static/copy.txt');
    assert.equal(a.headers.etag, contentEtag('Hello World!'));
    assert.equal(b.headers.etag, a.headers.etag, 'same bytes, same tag, whatever the path');
    assert.notEqual((await get('/static/page.html')).headers.etag, a.headers.etag);
  });

  it('gives the same ETag on another server with the same files', async () => {
    const other = makeApp(FILES);
    const mw = staticFiles({ root: other });
    const server = await serveHttp(mw);
    try {
      const reply = await fetchPath(server.port, '/hello');
      assert.equal(reply.headers.etag, (await get('/hello')).headers.etag);
    } finally {
      await server.close();
      mw.close();
      removeDir(other);
    }
  });

  it('sends Content-Type from a fixed table, with a charset for text', async () => {
    const expected: Record<string, string> = {
      '/static/page.html': 'text/html; charset=utf-8',
      '/static/style.css': 'text/css; charset=utf-8',
      '/static/app.js': 'text/javascript; charset=utf-8',
      '/static/data.json': 'application/json; charset=utf-8',
      '/static/hello.txt': 'text/plain; charset=utf-8',
      '/static/pic.svg': 'image/svg+xml',
      '/static/img/a.png': 'image/png',
      '/static/blob.unknownext': 'application/octet-stream',
      '/static/noext': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(expected)) assert.equal((await get(path)).headers['content-type'], type, path);
  });

  it('uses mime_type as given', async () => {
    assert.equal((await get('/typed/page.html')).headers['content-type'], 'application/x-special');
  });

  it('adds http_headers, replacing the defaults they name', async () => {
    const reply = await get('/headers/hello.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['cache-control'], 'no-cache');
    assert.equal(reply.headers.etag, '"custom-tag"');
    assert.equal(reply.headers.expires, 'Thu, 01 Jan 2037 00:00:00 GMT');
    assert.equal(reply.headers['content-type'], 'text/x-custom');
    assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(reply.headers.vary, 'Origin, Accept-Encoding'); // the frontend adds Accept-Encoding for a compressible type
    const raw = reply.headers;
    assert.ok(!Array.isArray(raw['cache-control']) && !String(raw.etag).includes(','), 'one value each, not default plus own');
    // The handler's ETag is the validator.
    assert.equal((await get('/headers/hello.txt', { headers: { 'If-None-Match': '"custom-tag"' } })).status, 304);
  });

  it('sends Content-Length, Accept-Ranges and no Last-Modified by default', async () => {
    const reply = await get('/hello');
    assert.equal(reply.headers['content-length'], '12');
    assert.equal(reply.headers['accept-ranges'], 'bytes');
    assert.equal(reply.headers['last-modified'], undefined);
    const empty = await get('/static/empty.txt');
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal(empty.body.length, 0);
  });
});

describe('methods', { timeout: 5000 }, () => {
  it('answers every method but HEAD as GET', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const reply = await get('/hello', { method });
      assert.equal(reply.status, 200, method);
      assert.equal(reply.body.toString(), 'Hello World!', method);
      assert.equal(reply.headers.etag, contentEtag('Hello World!'), method);
    }
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const head = await get('/static/page.html', { method: 'HEAD' });
    const full = await get('/static/page.html');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const name of ['content-type', 'content-length', 'etag', 'cache-control', 'accept-ranges']) {
      assert.equal(head.headers[name], full.headers[name], name);
    }
    assert.equal((await get('/static/nothing', { method: 'HEAD' })).status, 404);
  });
});

describe('composition', { timeout: 5000 }, () => {
  it('works inside Express 5, with a host route after it', async () => {
    const server = await serveExpress(middleware);
    try {
      const reply = await fetchPath(server.port, '/hello');
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'Hello World!');
      assert.equal(reply.headers['x-powered-by'], 'Express', 'Express headers are kept');
      assert.equal((await fetchPath(server.port, '/nothing/here')).body.toString(), HOST_BODY);
      assert.equal((await fetchPath(server.port, '/api/x')).body.toString(), HOST_BODY);
      assert.equal((await fetchPath(server.port, '/missing/x')).body.toString(), 'Not Found\n');
    } finally {
      await server.close();
    }
  });

  it('staticFiles() alone takes a loaded config and leaves script handlers to the host', async () => {
    const mw = staticFiles({ app: loadAppYaml({ root }) });
    const server = await serveHttp(mw);
    try {
      assert.equal((await fetchPath(server.port, '/hello')).body.toString(), 'Hello World!');
      assert.equal((await fetchPath(server.port, '/api/x')).body.toString(), HOST_BODY);
      assert.equal((await fetchPath(server.port, '/maybe/none')).body.toString(), 'fallback');
      assert.equal((await fetchPath(server.port, '/static/../x')).status, 302);
    } finally {
      await server.close();
      mw.close();
    }
  });

  it('takes the config as YAML text or an object instead of app.yaml', async () => {
    const app = makeApp({ 's/a.txt': 'a' });
    const fromText = appYaml({ root: app, config: 'runtime: python312\nhandlers:\n- url: /t\n  static_dir: s\n' });
    const fromObject = appYaml({ root: app, config: { runtime: 'python312', handlers: [{ url: '/o', static_dir: 's' }] } });
    const server = await serveHttp((req, res, next) => fromText(req, res, () => fromObject(req, res, next)));
    try {
      assert.equal((await fetchPath(server.port, '/t/a.txt')).body.toString(), 'a');
      assert.equal((await fetchPath(server.port, '/o/a.txt')).body.toString(), 'a');
    } finally {
      await server.close();
      fromText.close();
      fromObject.close();
      removeDir(app);
    }
  });

  it('throws ConfigError at construction for an invalid app.yaml', () => {
    const app = makeApp({ 'app.yaml': 'runtime: python312\nhandlers:\n- url: /x\n  static_files: a\n' });
    try {
      assert.throws(() => appYaml({ root: app }), ConfigError);
    } finally {
      removeDir(app);
    }
  });
});
