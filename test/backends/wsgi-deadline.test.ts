/**
 * Deadlines the app can feel: DeadlineExceededError raised in the handler's thread (while it
 * sleeps, or while it runs Python code), the app's own answer reaching the client, and the
 * instance killed and replaced when the app does not answer in time. Deadline: 1 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bridgePids, fetch, logged, makeApp, startServer, waitFor, type WsgiServer } from './harness.js';

const appYaml = (threadsafe: boolean) => `runtime: python27\napi_version: 1\nthreadsafe: ${threadsafe}\nhandlers:\n- url: /.*\n  script: main.app\n`;

const MAIN_PY = String.raw`
import os, select, time
from time import sleep
from google.appengine.runtime import DeadlineExceededError

def app(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/pid':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [str(os.getpid()).encode()]
    if path == '/deadline':
        # The seed's deadline handler.
        try:
            time.sleep(70)
        except DeadlineExceededError:
            start_response('500 Internal Server Error', [('Content-Type', 'text/plain')])
            return [b'This request took too long and was aborted.']
        start_response('200 OK', [])
        return [b'slept']
    if path == '/imported-sleep':
        try:
            sleep(70)
        except DeadlineExceededError:
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'woken from sleep()']
    if path == '/busy':
        try:
            n = 0
            while True:
                n += 1
        except DeadlineExceededError:
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'interrupted after %d loops' % n]
    if path == '/select':
        try:
            select.select([], [], [], 70)
        except DeadlineExceededError:
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'woken from select()']
    if path == '/uncaught':
        while True:
            pass
    if path == '/stubborn':
        try:
            time.sleep(70)
        except DeadlineExceededError:
            # Stuck in C code the deadline cannot interrupt.
            select.select([], [], [], 70)
    start_response('404 Not Found', [])
    return [b'']
`;

// threadsafe: requests run on the bridge's worker threads, told by Node; not threadsafe: on its
// main thread, timed by the bridge itself (SIGALRM).
for (const threadsafe of [true, false]) describe(`request deadlines (1 s), threadsafe: ${threadsafe}`, () => {
  let s: WsgiServer;
  before(async () => {
    s = await startServer(makeApp({ 'app.yaml': appYaml(threadsafe), 'main.py': MAIN_PY }), { envelope: { deadline: 1000 } });
  });
  after(async () => {
    const root = s.root;
    await s.close();
    assert.deepEqual(bridgePids(root), []);
  });

  test("the seed's deadline handler catches DeadlineExceededError in time.sleep and writes its own 500", async () => {
    const pid = (await fetch(s.port, '/pid')).text;
    const started = Date.now();
    const r = await fetch(s.port, '/deadline');
    const elapsed = Date.now() - started;
    assert.equal(r.status, 500);
    assert.equal(r.text, 'This request took too long and was aborted.');
    assert.ok(elapsed >= 400 && elapsed < 1000, `answered before the deadline (${elapsed} ms)`);
    assert.equal((await fetch(s.port, '/pid')).text, pid, 'the instance survived');
  });

  test('a sleep imported with `from time import sleep` is woken too', async () => {
    assert.equal((await fetch(s.port, '/imported-sleep')).text, 'woken from sleep()');
  });

  test('Python code that is running gets the exception asynchronously', async () => {
    const r = await fetch(s.port, '/busy');
    assert.equal(r.status, 200);
    assert.match(r.text, /^interrupted after \d+ loops$/);
  });

  if (!threadsafe) {
    test('on the main thread, a blocking system call is interrupted too', async () => {
      const r = await fetch(s.port, '/select');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'woken from select()');
    });
  }

  test('an uncaught DeadlineExceededError is a 500 with the traceback in the log', async () => {
    const r = await fetch(s.port, '/uncaught');
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.text, /Deadline/);
    assert.ok(s.logs.some((l) => /Traceback[\s\S]*DeadlineExceededError/.test(String(l.message))));
  });

  test('an app that does not answer by the deadline: 500, its instance killed and replaced', async () => {
    const pid = (await fetch(s.port, '/pid')).text;
    const started = Date.now();
    const r = await fetch(s.port, '/stubborn');
    const elapsed = Date.now() - started;
    assert.equal(r.status, 500);
    assert.match(r.text, /Server Error/);
    assert.ok(elapsed >= 950 && elapsed < 1600, `answered at the deadline (${elapsed} ms)`);
    // The kill runs on its own timer at the same deadline as the envelope's answer: it may come just after.
    await waitFor(() => logged(s.logs, 'killing its instance').length > 0, 2000, 'the kill to be logged');
    await waitFor(() => !bridgePids(s.root).includes(Number(pid)), 3000, 'the stuck instance to exit');
    const next = await fetch(s.port, '/pid');
    assert.equal(next.status, 200);
    assert.notEqual(next.text, pid, 'a new instance');
  });
});
