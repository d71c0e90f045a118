/**
 * PEP 3333 edge cases (backends.md §7, security.md rows 86–91) against the real bridge:
 * start_response in full, close() always called, wsgi.input, and the response checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fetch, logged, makeApp, startServer, waitFor, type WsgiServer } from './harness.js';

const APP_YAML = 'runtime: python27\napi_version: 1\nthreadsafe: true\nhandlers:\n- url: /.*\n  script: edge.app\n';

const EDGE_PY = String.raw`
import hashlib, json, logging, sys, time

class Body(object):
    """An iterable result whose close() is logged."""
    def __init__(self, name, chunks, fail_at=None, delay=0):
        self.name, self.chunks, self.fail_at, self.delay = name, chunks, fail_at, delay
    def __iter__(self):
        for n, chunk in enumerate(self.chunks):
            if n == self.fail_at:
                raise RuntimeError('broken in the middle')
            if self.delay:
                time.sleep(self.delay)
            yield chunk
    def close(self):
        logging.info('closed %s', self.name)

def forever():
    while True:
        yield b'tick\n'

def app(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/close-ok':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body('ok', [b'a', b'b'])
    if path == '/close-error':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body('error', [b'a', b'b', b'c'], fail_at=1)
    if path == '/close-abort':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body('abort', [b'tick\n'] * 1000, delay=0.05)
    if path == '/twice':
        start_response('200 OK', [])
        try:
            start_response('201 Created', [])
        except Exception:
            pass  # the app swallows it; the request is still broken
        return [b'x']
    if path == '/exc-before-body':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        try:
            raise ValueError('oops')
        except ValueError:
            start_response('503 Oops', [('Content-Type', 'text/plain')], sys.exc_info())
        return [b'recovered']
    if path == '/exc-after-body':
        def gen():
            start_response('200 OK', [('Content-Type', 'text/plain')])
            yield b'first part '
            try:
                raise ValueError('late')
            except ValueError:
                start_response('500 Late', [], sys.exc_info())
            yield b'never'
        return gen()
    if path == '/write':
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'a')
        write(b'b')
        return [b'c']
    if path == '/start-in-next':
        def gen():
            start_response('202 Accepted', [('Content-Type', 'text/plain')])
            yield b'late start'
        return gen()
    if path == '/input':
        i = environ['wsgi.input']
        parts = [i.readline(5), i.readline(), i.read(3), i.read(), i.read(), i.readline()]
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [json.dumps([p.decode() for p in parts]).encode()]
    if path == '/lines':
        lines = environ['wsgi.input'].readlines()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [json.dumps([len(lines), lines[0].decode()]).encode()]
    if path == '/digest':
        h, size = hashlib.sha256(), 0
        while True:
            chunk = environ['wsgi.input'].read(10000)
            if not chunk:
                break
            h.update(chunk)
            size += len(chunk)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [('%d %s' % (size, h.hexdigest())).encode()]
    if path == '/echo':
        body = environ['wsgi.input'].read()
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return [body]
    if path == '/raise':
        raise KeyError('secret-detail')
    if path == '/no-start':
        return [b'body without status']
    if path == '/crlf':
        start_response('200 OK', [('X-Split', 'a\r\nSet-Cookie: evil=1')])
        return [b'x']
    if path == '/hop':
        start_response('200 OK', [('Connection', 'close')])
        return [b'x']
    if path.startswith('/status/'):
        start_response(path[len('/status/'):].replace('_', ' '), [])
        return [b'x']
    if path == '/str-body':
        start_response('200 OK', [])
        return ['text, not bytes']
    if path == '/latin1':
        start_response('200 OK', [('X-Name', 'caf\xe9'), ('Content-Type', 'text/plain')])
        return [b'ok']
    if path == '/cookies':
        start_response('200 OK', [('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')])
        return [b'ok']
    if path == '/big':
        start_response('200 OK', [])
        return [b'x' * 3000]
    if path == '/short-length':
        start_response('200 OK', [('Content-Length', '3')])
        return [b'abcdef']
    if path == '/long-length':
        start_response('200 OK', [('Content-Length', '10')])
        return [b'abc']
    if path == '/no-content':
        start_response('204 No Content', [])
        return []
    start_response('404 Not Found', [])
    return [b'']
`;

const files = { 'app.yaml': APP_YAML, 'edge.py': EDGE_PY };

describe('PEP 3333 with buffered responses (the default)', () => {
  let s: WsgiServer;
  before(async () => {
    s = await startServer(makeApp(files), { wsgi: { maxResponseBytes: 2000 } });
  });
  after(() => s.close());

  test('close() is called after a whole response', async () => {
    const r = await fetch(s.port, '/close-ok');
    assert.equal(r.text, 'ab');
    assert.equal(logged(s.logs, 'closed ok').length, 1);
  });

  test('close() is called when iteration raises: 500, the traceback only in the log', async () => {
    const r = await fetch(s.port, '/close-error');
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.text, /broken|Traceback|RuntimeError/);
    assert.equal(logged(s.logs, 'closed error').length, 1);
    assert.ok(s.logs.some((l) => /Traceback[\s\S]*RuntimeError: broken in the middle/.test(String(l.message))));
  });

  test('close() is called when the client goes away mid-response', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(s.port, '127.0.0.1', () => socket.write('GET /close-abort HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200);
    });
    await waitFor(() => logged(s.logs, 'closed abort').length === 1, 2000, 'close() after the abort');
  });

  test('a second start_response without exc_info is fatal (500) even if the app catches it', async () => {
    const r = await fetch(s.port, '/twice');
    assert.equal(r.status, 500);
    assert.ok(logged(s.logs, 'start_response() called a second time without exc_info').length > 0);
  });

  test('start_response with exc_info before the body replaces the status', async () => {
    const r = await fetch(s.port, '/exc-before-body');
    assert.equal(r.status, 503);
    assert.equal(r.text, 'recovered');
  });

  test('start_response with exc_info after the body re-raises: 500 (nothing was sent yet)', async () => {
    const r = await fetch(s.port, '/exc-after-body');
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.text, /first part/);
  });

  test('the write() callable, and start_response called inside the first next()', async () => {
    assert.equal((await fetch(s.port, '/write')).text, 'abc');
    const late = await fetch(s.port, '/start-in-next');
    assert.equal(late.status, 202);
    assert.equal(late.text, 'late start');
  });

  test('wsgi.input: readline(5), readline(), read(3), read(), EOF at CONTENT_LENGTH', async () => {
    const r = await fetch(s.port, '/input', { method: 'POST', body: 'hello world\nabcdef' });
    assert.deepEqual(JSON.parse(r.text), ['hello', ' world\n', 'abc', 'def', '', '']);
    const lines = await fetch(s.port, '/lines', { method: 'POST', body: 'one\ntwo\nthree' });
    assert.deepEqual(JSON.parse(lines.text), [3, 'one\n']);
  });

  test('a large body streams through wsgi.input intact (flow control)', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 7, 'abcdefghij');
    const r = await fetch(s.port, '/digest', { method: 'POST', body });
    assert.equal(r.text, `${body.length} ${createHash('sha256').update(body).digest('hex')}`);
    const chunked = await fetch(s.port, '/digest', { method: 'POST', body: [body.subarray(0, 100_000), body.subarray(100_000)] });
    assert.equal(chunked.text, r.text);
  });

  test('an exception before start_response: 500, no traceback in the body (row 86)', async () => {
    const r = await fetch(s.port, '/raise');
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.text, /secret-detail|Traceback|KeyError/);
    assert.ok(s.logs.some((l) => /KeyError: 'secret-detail'/.test(String(l.message))), 'traceback logged');
  });

  test('a body without start_response: 500 (row 88)', async () => {
    assert.equal((await fetch(s.port, '/no-start')).status, 500);
  });

  test('CR/LF in a header value: 500, never passed on', async () => {
    const r = await fetch(s.port, '/crlf');
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-split'], undefined);
    assert.equal(r.headers['set-cookie'], undefined);
  });

  test('a hop-by-hop header from the app: 500', async () => {
    assert.equal((await fetch(s.port, '/hop')).status, 500);
  });

  for (const status of ['200OK', '2000_X', '99_Low', '600_High', 'abc']) {
    test(`status "${status.replace('_', ' ')}": 500 (row 91)`, async () => {
      assert.equal((await fetch(s.port, `/status/${status}`)).status, 500);
    });
  }

  test('an empty reason phrase is allowed', async () => {
    const r = await fetch(s.port, '/status/418_');
    assert.equal(r.status, 418);
  });

  test('a str body item: 500', async () => {
    assert.equal((await fetch(s.port, '/str-body')).status, 500);
  });

  test('Latin-1 header bytes round-trip', async () => {
    const r = await fetch(s.port, '/latin1');
    const at = r.rawHeaders.indexOf('X-Name');
    assert.equal(Buffer.from(r.rawHeaders[at + 1]!, 'latin1').toString('hex'), Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('hex'));
  });

  test('repeated Set-Cookie headers all arrive', async () => {
    assert.deepEqual((await fetch(s.port, '/cookies')).headers['set-cookie'], ['a=1', 'b=2']);
  });

  test('HEAD: the GET headers and Content-Length, no body', async () => {
    const r = await fetch(s.port, '/write', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '3');
    assert.equal(r.body.length, 0);
  });

  test('204 goes out without a body or Content-Length', async () => {
    const r = await fetch(s.port, '/no-content');
    assert.equal(r.status, 204);
    assert.equal(r.headers['content-length'], undefined);
  });

  test("a body longer than the app's Content-Length is cut to it; a shorter one is 500", async () => {
    const cut = await fetch(s.port, '/short-length');
    assert.equal(cut.text, 'abc');
    assert.equal(cut.headers['content-length'], '3');
    assert.equal((await fetch(s.port, '/long-length')).status, 500);
  });

  test('a response over the size limit: 500 with an empty body', async () => {
    const r = await fetch(s.port, '/big');
    assert.equal(r.status, 500);
    assert.equal(r.body.length, 0);
    assert.ok(logged(s.logs, 'Response body over 2000 bytes').length > 0);
  });
});

describe('PEP 3333 with streamed responses', () => {
  let s: WsgiServer;
  before(async () => {
    s = await startServer(makeApp(files), { wsgi: { stream: true } });
  });
  after(() => s.close());

  test('a whole response still arrives whole', async () => {
    const r = await fetch(s.port, '/close-ok');
    assert.equal(r.text, 'ab');
    const echo = await fetch(s.port, '/echo', { method: 'POST', body: Buffer.alloc(2_500_000, 7) });
    assert.equal(echo.body.length, 2_500_000);
  });

  test('start_response with exc_info after the first byte cuts the connection', async () => {
    await assert.rejects(fetch(s.port, '/exc-after-body'));
  });

  test('an exception mid-body cuts the connection, never a short 200', async () => {
    await assert.rejects(fetch(s.port, '/close-error'));
    await waitFor(() => logged(s.logs, 'closed error').length === 1, 2000, 'close()');
  });
});
