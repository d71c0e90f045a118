/**
 * Instances' lives with real processes: a crash mid-request, an app that does not import,
 * scaling (manual with /_ah/start, warmup, basic and automatic idle reaping, the queue limit),
 * and no Python process left behind, even when Node itself is killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bridgePids, fetch, logged, makeApp, startServer, trackServers, waitFor } from './harness.js';

const yaml = (...lines: string[]) => ['runtime: python27', 'api_version: 1', ...lines, 'handlers:', '- url: /.*', '  script: main.app', ''].join('\n');

const MAIN_PY = String.raw`
import logging, os, time

def app(environ, start_response):
    path = environ['PATH_INFO']
    if path in ('/_ah/start', '/_ah/warmup'):
        logging.info('%s on %d', path, os.getpid())
    if path == '/slow':
        time.sleep(float(environ['QUERY_STRING'] or 1))
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [str(os.getpid()).encode()]
`;

const serve = trackServers(startServer, bridgePids);

describe('crashes and broken apps', () => {
  test('kill -9 of an instance mid-request: that request gets 502, the next one a new instance', async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: true'), 'main.py': MAIN_PY }));
    const pid = Number((await fetch(s.port, '/')).text);
    const slow = fetch(s.port, '/slow?5');
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    const r = await slow;
    assert.equal(r.status, 502);
    const next = await fetch(s.port, '/');
    assert.equal(next.status, 200);
    assert.notEqual(Number(next.text), pid);
  });

  test('a request waiting for the instance that is killed is served by its replacement', { timeout: 10_000 }, async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: false', 'automatic_scaling:', '  max_instances: 1'), 'main.py': MAIN_PY }));
    const pid = Number((await fetch(s.port, '/')).text);
    const slow = fetch(s.port, '/slow?5');
    await new Promise((r) => setTimeout(r, 100));
    const queued = fetch(s.port, '/');
    await new Promise((r) => setTimeout(r, 100));
    process.kill(pid, 'SIGKILL');
    assert.equal((await slow).status, 502);
    const r = await queued;
    assert.equal(r.status, 200);
    assert.notEqual(Number(r.text), pid);
  });

  test('an app that fails to import: 500, the error logged once, restarts backed off, recovery', async () => {
    const root = makeApp({
      'app.yaml': yaml('threadsafe: true'),
      'main.py': "open('attempts.txt', 'a').write('x')\nimport nosuchmodule\n",
    });
    const s = await serve(root, { wsgi: { startTimeout: 5000 } });
    const attempts = () => readFileSync(join(root, 'attempts.txt'), 'utf8').length;
    for (let i = 0; i < 4; i++) {
      const r = await fetch(s.port, '/');
      assert.equal(r.status, 500);
      assert.doesNotMatch(r.text, /nosuchmodule/);
    }
    assert.equal(attempts(), 1, 'one start attempt within the first backoff delay');
    const failures = logged(s.logs, 'Instance failed to start');
    assert.equal(failures.length, 1, 'logged once');
    assert.match(String(failures[0]!.message), /No module named 'nosuchmodule'/);
    assert.match(String(failures[0]!.err), /Traceback[\s\S]*main\.py/);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await fetch(s.port, '/')).status, 500);
    assert.equal(attempts(), 2, 'retried after the delay');
    assert.equal(logged(s.logs, 'Instance failed to start').length, 1, 'the same error is not logged again');
    writeFileSync(join(root, 'main.py'), MAIN_PY);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await fetch(s.port, '/')).status, 200, 'a fixed app is served after the next delay');
  });

  test('an interpreter that does not exist: 500, logged', async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: true'), 'main.py': MAIN_PY }), { wsgi: { python: '/nonexistent/python3' } });
    assert.equal((await fetch(s.port, '/')).status, 500);
    assert.match(String(logged(s.logs, 'Instance failed to start')[0]?.message), /could not run \/nonexistent\/python3/);
  });
});

describe('scaling', () => {
  test('manual scaling: instances start at boot and get /_ah/start', async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: false', 'manual_scaling:', '  instances: 2'), 'main.py': MAIN_PY }));
    await waitFor(() => logged(s.logs, '/_ah/start on').length === 2, 5000, 'two /_ah/start requests');
    const started = new Set(logged(s.logs, '/_ah/start on').map((l) => String(l.message).split(' ').pop()));
    assert.equal(started.size, 2);
    const replies = await Promise.all([fetch(s.port, '/slow?0.3'), fetch(s.port, '/slow?0.3')]);
    assert.deepEqual(new Set(replies.map((r) => r.text)), started, 'both instances serve');
  });

  test('manual scaling: /_ah/start answering 500 fails the start', async () => {
    const broken = MAIN_PY.replace("    if path == '/slow':", "    if path == '/_ah/start':\n        start_response('500 No', [])\n        return [b'']\n    if path == '/slow':");
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: false', 'manual_scaling:', '  instances: 1'), 'main.py': broken }));
    await waitFor(() => logged(s.logs, '/_ah/start answered 500').length > 0, 5000, 'the failed start');
    assert.equal((await fetch(s.port, '/')).status, 500);
  });

  test('inbound_services warmup: /_ah/warmup before the first request', async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: true', 'inbound_services:', '- warmup'), 'main.py': MAIN_PY }));
    const pid = (await fetch(s.port, '/')).text;
    assert.equal(logged(s.logs, '/_ah/warmup on').length, 1);
    assert.match(String(logged(s.logs, '/_ah/warmup on')[0]!.message), new RegExp(`${pid}$`));
  });

  test('basic scaling: an instance idle for idle_timeout is stopped', async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: true', 'basic_scaling:', '  max_instances: 1', '  idle_timeout: 1s'), 'main.py': MAIN_PY }));
    assert.equal((await fetch(s.port, '/')).status, 200);
    assert.equal(logged(s.logs, '/_ah/start on').length, 1);
    assert.equal(bridgePids(s.root).length, 1);
    await waitFor(() => bridgePids(s.root).length === 0, 3000, 'the idle instance to stop');
  });

  test('automatic scaling: instances grow with load up to max_instances and idle ones go, down to min_instances', async () => {
    const s = await serve(
      makeApp({ 'app.yaml': yaml('threadsafe: false', 'automatic_scaling:', '  min_instances: 1', '  max_instances: 2'), 'main.py': MAIN_PY }),
      { wsgi: { idleTimeout: 300 } },
    );
    await waitFor(() => bridgePids(s.root).length === 1, 3000, 'the min_instances instance');
    const replies = await Promise.all([1, 2, 3].map(() => fetch(s.port, '/slow?0.3')));
    assert.equal(new Set(replies.map((r) => r.text)).size, 2, 'two instances, no more');
    await waitFor(() => bridgePids(s.root).length === 1, 3000, 'back to one instance');
  });

  test('a request that finds no free instance within queueTimeout gets 503', async () => {
    const s = await serve(makeApp({ 'app.yaml': yaml('threadsafe: false', 'manual_scaling:', '  instances: 1'), 'main.py': MAIN_PY }), {
      wsgi: { queueTimeout: 300 },
    });
    await waitFor(() => logged(s.logs, '/_ah/start on').length === 1, 5000, 'the instance');
    const slow = fetch(s.port, '/slow?1');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(s.port, '/')).status, 503);
    assert.equal((await slow).status, 200);
  });
});

describe('no Python process outlives Node', () => {
  const manual = () => makeApp({ 'app.yaml': yaml('threadsafe: true', 'manual_scaling:', '  instances: 2'), 'main.py': MAIN_PY });

  function holdInstances(root: string): Promise<{ child: ReturnType<typeof spawn>; pids: number[] }> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'hold-instances.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve({ child, pids: JSON.parse(out) as number[] });
      });
      child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    });
  }

  const gone = (pids: number[]) => () =>
    pids.every((pid) => {
      try {
        process.kill(pid, 0);
        // A zombie (reparented, not yet reaped) is gone too: it runs nothing.
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
      } catch {
        return true;
      }
    });

  test('Node SIGKILLed: its bridges exit on their own', async () => {
    const root = manual();
    const { child, pids } = await holdInstances(root);
    assert.equal(pids.length, 2);
    child.kill('SIGKILL');
    await waitFor(gone(pids), 3000, 'the bridges to exit');
    assert.deepEqual(bridgePids(root), []);
  });

  test('Node SIGTERMed (nobody else handling it): it stops its bridges and dies of the signal', async () => {
    const root = manual();
    const { child, pids } = await holdInstances(root);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    await waitFor(gone(pids), 3000, 'the bridges to exit');
  });
});
