/**
 * WSGI script handlers with real Python: a bare callable, dotted package paths, a Flask app,
 * the seed's handlers (hello world, environment printer, request-id printer, logging at every
 * level), the environ the app sees, and concurrency per instance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bridgePids, fetch, logged, makeApp, startServer, type WsgiServer } from './harness.js';

const APP_YAML = `runtime: python27
api_version: 1
threadsafe: true
application: seed-app
version: v1
env_variables:
  GREETING: bonjour
handlers:
- url: /flask/.*
  script: flaskapp.app
- url: /mod/(\\w+)
  script: handlers.\\1.app
- url: /.*
  script: main.app
`;

/** The seed's handlers, rewritten as one plain WSGI callable. */
const MAIN_PY = String.raw`
import json, logging, os, sys, threading, time

def app(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'Hello, World!']
    if path.startswith('/env'):
        shown = {k: v for k, v in environ.items() if isinstance(v, (str, bool, int))}
        shown['wsgi.version'] = list(environ['wsgi.version'])
        shown['os.environ'] = dict(os.environ)
        shown['pid'] = os.getpid()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [json.dumps(shown).encode()]
    if path == '/request-id':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [environ['REQUEST_LOG_ID'].encode()]
    if path == '/log':
        logging.debug('a debug line')
        logging.info('an info line')
        logging.warning('a warning line')
        logging.error('an error line')
        logging.critical('a critical line')
        try:
            1 / 0
        except ZeroDivisionError:
            logging.exception('an exception line')
        print('a printed line')
        sys.stderr.write('a stderr line\n')
        environ['wsgi.errors'].write('an errors line\n')
        environ['wsgi.errors'].flush()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'logged']
    if path == '/slow':
        time.sleep(0.4)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [('%d %s' % (os.getpid(), threading.current_thread().name)).encode()]
    if path == '/form':
        body = environ['wsgi.input'].read()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [environ['CONTENT_TYPE'].encode(), b' ', environ['CONTENT_LENGTH'].encode(), b' ', body]
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'nope']
`;

const FLASK_PY = `
from flask import Flask, request
app = Flask(__name__)

@app.route('/flask/hello')
def hello():
    return 'Hello from Flask, ' + request.args.get('name', 'nobody')

@app.route('/flask/form', methods=['POST'])
def form():
    return 'got ' + request.form['field']
`;

describe('WSGI apps', () => {
  let s: WsgiServer;
  before(async () => {
    process.env.APPYAML_TEST_SECRET = 'must-not-leak';
    s = await startServer(
      makeApp({
        'app.yaml': APP_YAML,
        'main.py': MAIN_PY,
        'flaskapp.py': FLASK_PY,
        'handlers/__init__.py': '',
        'handlers/users.py': "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'users module']\n",
      }),
    );
  });
  after(async () => {
    delete process.env.APPYAML_TEST_SECRET;
    const root = s.root;
    await s.close();
    assert.deepEqual(bridgePids(root), [], 'no bridge left after close()');
  });

  test('a bare WSGI callable answers (hello world)', async () => {
    const r = await fetch(s.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'Hello, World!');
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.headers['content-length'], '13');
  });

  test('a package module named through a back-reference (handlers.\\1.app)', async () => {
    const r = await fetch(s.port, '/mod/users');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'users module');
    const missing = await fetch(s.port, '/mod/nosuch');
    assert.equal(missing.status, 500);
    assert.doesNotMatch(missing.text, /nosuch|Traceback/);
    assert.ok(logged(s.logs, 'Could not load handlers.nosuch.app').length > 0, 'import error logged');
  });

  test('a Flask app (Debian python3-flask): routing, query, form body', async () => {
    const r = await fetch(s.port, '/flask/hello?name=ada');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'Hello from Flask, ada');
    const form = await fetch(s.port, '/flask/form', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'field=value+1',
    });
    assert.equal(form.text, 'got value 1');
    assert.equal((await fetch(s.port, '/flask/nope')).status, 404);
  });

  test('the environment printer: CGI variables, filtered HTTP_*, App Engine variables', async () => {
    const r = await fetch(s.port, '/env?b=%20x&a', {
      headers: { Host: 'example.com:8080', Proxy: 'http://evil', 'X-Custom': 'one', 'X-Forwarded-Proto': 'https' },
    });
    const env = JSON.parse(r.text) as Record<string, unknown> & { 'os.environ': Record<string, string> };
    assert.equal(env.REQUEST_METHOD, 'GET');
    assert.equal(env.SCRIPT_NAME, '');
    assert.equal(env.PATH_INFO, '/env');
    assert.equal(env.QUERY_STRING, 'b=%20x&a');
    assert.equal(env.SERVER_NAME, 'example.com');
    assert.equal(env.SERVER_PORT, '8080');
    assert.equal(env.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(env.REMOTE_ADDR, '127.0.0.1');
    // A loopback peer is a trusted proxy by default: its scheme is believed.
    assert.equal(env['wsgi.url_scheme'], 'https');
    assert.equal(env.HTTPS, 'on');
    assert.deepEqual(env['wsgi.version'], [1, 0]);
    assert.equal(env['wsgi.multithread'], true);
    assert.equal(env['wsgi.multiprocess'], true);
    assert.equal(env['wsgi.run_once'], false);
    assert.equal(env.HTTP_X_CUSTOM, 'one');
    assert.equal(env.HTTP_HOST, 'example.com:8080');
    assert.equal(env.HTTP_X_APPENGINE_COUNTRY, 'ZZ');
    assert.equal(env.HTTP_PROXY, undefined, 'httpoxy: no HTTP_PROXY');
    assert.match(String(env.REQUEST_LOG_ID), /^[0-9a-f]+$/);
    assert.match(String(env.REQUEST_ID_HASH), /^[0-9A-F]{8}$/);
    assert.equal(env.USER_IS_ADMIN, '0');
    assert.match(String(env.PATH_TRANSLATED), /main\.py$/);
    // python27 puts its process variables in each environ too.
    assert.equal(env.APPLICATION_ID, 's~seed-app');
    assert.match(String(env.CURRENT_VERSION_ID), /^v1\.\d+$/);
    assert.equal(env.GREETING, 'bonjour');
    const os = env['os.environ'];
    assert.equal(os.GREETING, 'bonjour');
    assert.equal(os.GAE_SERVICE, 'default');
    assert.equal(os.INSTANCE_ID, os.GAE_INSTANCE);
    assert.equal(os.TZ, 'UTC');
    assert.equal(os.APPYAML_TEST_SECRET, undefined, "Node's environment does not leak");
    assert.equal(os.PATH, process.env.PATH);
  });

  test('an underscore header never aliases a dash one; the decoded path is its UTF-8 bytes as Latin-1', async () => {
    const r = await fetch(s.port, '/env/caf%C3%A9', { headers: { X_Custom: 'under', 'X-Custom': 'dash' } });
    const env = JSON.parse(r.text) as Record<string, string>;
    assert.equal(env.HTTP_X_CUSTOM, 'dash');
    assert.equal(env.PATH_INFO, '/env/caf\u00c3\u00a9');
    assert.equal(Buffer.from(env.PATH_INFO!, 'latin1').toString('utf8'), '/env/café');
    assert.equal(env.REQUEST_URI, '/env/caf%C3%A9');
  });

  test('the request-id printer sees the id its request is logged under', async () => {
    const r = await fetch(s.port, '/request-id');
    assert.equal(r.status, 200);
    const line = s.logs.find((l) => l.requestId === r.text && (l.httpRequest as { requestUrl?: string } | undefined)?.requestUrl?.endsWith('/request-id'));
    assert.ok(line, `request line logged with requestId ${r.text}`);
  });

  test('logging at every level, print, stderr and wsgi.errors reach the log with the request id', async () => {
    const r = await fetch(s.port, '/request-id');
    const before = s.logs.length;
    const logs = await fetch(s.port, '/log');
    assert.equal(logs.text, 'logged');
    const lines = s.logs.slice(before);
    const id = lines.find((l) => typeof l.httpRequest === 'object')?.requestId;
    assert.ok(id && id !== r.text);
    const expect: Array<[string, string]> = [
      ['a debug line', 'DEBUG'],
      ['an info line', 'INFO'],
      ['a warning line', 'WARNING'],
      ['an error line', 'ERROR'],
      ['a critical line', 'CRITICAL'],
      ['an exception line', 'ERROR'],
      ['a printed line', 'INFO'],
      ['a stderr line', 'ERROR'],
      ['an errors line', 'ERROR'],
    ];
    for (const [text, severity] of expect) {
      const line = logged(lines, text)[0];
      assert.ok(line, `"${text}" logged`);
      assert.equal(line.severity, severity, text);
      assert.equal(line.requestId, id, `"${text}" carries the request id`);
    }
    assert.match(String(logged(lines, 'an exception line')[0]!.message), /ZeroDivisionError/);
    const source = logged(lines, 'a warning line')[0]!['logging.googleapis.com/sourceLocation'] as { file: string; line: number };
    assert.match(source.file, /main\.py$/);
    assert.equal(typeof source.line, 'number');
  });

  test('a form body arrives with CONTENT_TYPE and CONTENT_LENGTH, also when sent chunked', async () => {
    const plain = await fetch(s.port, '/form', { method: 'POST', headers: { 'Content-Type': 'text/x-test' }, body: 'abc' });
    assert.equal(plain.text, 'text/x-test 3 abc');
    const chunked = await fetch(s.port, '/form', { method: 'POST', body: ['ab', 'cd', 'e'] });
    assert.equal(chunked.text, 'application/x-www-form-urlencoded 5 abcde');
  });

  test('threadsafe: one instance serves concurrent requests on its threads', async () => {
    const started = Date.now();
    const replies = await Promise.all([fetch(s.port, '/slow'), fetch(s.port, '/slow'), fetch(s.port, '/slow')]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1100, `concurrent, not one after another (${elapsed} ms)`);
    const pids = new Set(replies.map((r) => r.text.split(' ')[0]));
    const threads = new Set(replies.map((r) => r.text.split(' ')[1]));
    assert.equal(pids.size, 1, 'one process');
    assert.equal(threads.size, 3, 'three threads');
  });
});

describe('WSGI apps that are not threadsafe', () => {
  let s: WsgiServer;
  before(async () => {
    const yaml = 'runtime: python27\napi_version: 1\nthreadsafe: false\nhandlers:\n- url: /.*\n  script: main.app\n';
    s = await startServer(makeApp({ 'app.yaml': yaml, 'main.py': MAIN_PY }), {
      wsgi: { maxInstances: 2 },
    });
  });
  after(() => s.close());

  test('get one request per instance: concurrent requests start a second process', async () => {
    const env = JSON.parse((await fetch(s.port, '/env')).text) as Record<string, unknown>;
    assert.equal(env['wsgi.multithread'], false);
    const replies = await Promise.all([fetch(s.port, '/slow'), fetch(s.port, '/slow')]);
    const pids = new Set(replies.map((r) => r.text.split(' ')[0]));
    assert.equal(pids.size, 2, 'two processes');
    assert.equal(bridgePids(s.root).length, 2);
  });
});

describe('the send and answerError hooks (what appYaml() gives its frontend)', () => {
  let s: WsgiServer;
  const sent: Array<{ status: number; headers: Array<[string, string]>; body: string }> = [];
  const errors: number[] = [];
  before(async () => {
    const yaml = 'runtime: python27\napi_version: 1\nthreadsafe: true\nhandlers:\n- url: /.*\n  script: main.app\n';
    const main = "def app(environ, start_response):\n    if environ['PATH_INFO'] == '/raise':\n        raise ValueError('x')\n    start_response('201 Made', [('X-A', '1'), ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2'), ('Content-Length', '2')])\n    return [b'okay']\n";
    s = await startServer(makeApp({ 'app.yaml': yaml, 'main.py': main }), {
      wsgi: {
        send: (_req, res, response) => {
          sent.push({ status: response.status, headers: response.headers, body: response.body.toString() });
          res.writeHead(response.status, { 'X-Sent-By': 'hook' }).end(response.body);
        },
        answerError: (_req, res, status) => {
          errors.push(status);
          res.writeHead(status, { 'X-Error-Page': 'hook' }).end('error page');
        },
      },
    });
  });
  after(() => s.close());

  test('a whole response goes to send(), checked and cut to its Content-Length', async () => {
    const r = await fetch(s.port, '/');
    assert.equal(r.headers['x-sent-by'], 'hook');
    assert.equal(r.text, 'ok');
    assert.deepEqual(sent.at(-1), { status: 201, headers: [['X-A', '1'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']], body: 'ok' });
  });

  test('a failure goes to answerError() with its status', async () => {
    const r = await fetch(s.port, '/raise');
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-error-page'], 'hook');
    assert.deepEqual(errors, [500]);
  });
});
