/**
 * Entrypoints that go wrong: one that crashes at start, one that never listens, one that hangs
 * before or during its response, and an instance killed with SIGKILL under load.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { app, fetch, flex, FLASK_MAIN, logged, PYTHON, processesIn, startServer, waitFor } from './entrypoint-harness.js';
import { trackServers } from './harness.js';

const serve = trackServers(startServer);

const HANGING = String.raw`
import time
from flask import Flask, Response

app = Flask(__name__)

@app.route('/before')
def before():
    time.sleep(30)
    return 'late'

@app.route('/during')
def during():
    def body():
        yield 'first part\n'
        time.sleep(30)
        yield 'never'
    return Response(body(), mimetype='text/plain')
`;

describe('start failures', () => {
  test('an entrypoint that crashes at start: 503, one clear log line, restarts backed off', { timeout: 20_000 }, async () => {
    const crash = `import sys, time\nopen('starts.log', 'a').write('%f\\n' % time.time())\nprint('boom: missing setting', file=sys.stderr)\nsys.exit(3)\n`;
    const s = await serve(app(flex(`${PYTHON} crash.py`), { 'crash.py': crash }));
    const r = await fetch(s.port, '/');
    assert.equal(r.status, 503);
    assert.match(r.text, /503/);
    const starts = () => readFileSync(join(s.root, 'starts.log'), 'utf8').trim().split('\n').length;
    await waitFor(() => starts() >= 3, 15_000, 'two restarts');
    const failed = logged(s.logs, 'Instance failed to start');
    assert.equal(failed.length, 1, 'the same failure is logged once');
    assert.match(String(failed[0]!.message), /`.*crash\.py` exited with code 3 before it was ready on \$PORT/);
    assert.ok(logged(s.logs, 'boom: missing setting').length >= 1, "the app's stderr is logged");
    assert.equal(logged(s.logs, 'boom: missing setting')[0]!.severity, 'ERROR');
    // Backoff: after three starts it waits longer each time (0.5 s, 1 s, 2 s): far fewer starts than polls.
    assert.ok(starts() < 6, `restarts are backed off (${starts()} starts)`);
  });

  test('an entrypoint that never opens its port: given up after app_start_timeout_sec, 503, killed', { timeout: 20_000 }, async () => {
    const s = await serve(app(flex('sleep 60', 'readiness_check:', '  app_start_timeout_sec: 1'), {}));
    const r = await fetch(s.port, '/');
    assert.equal(r.status, 503);
    const failed = logged(s.logs, 'Instance failed to start');
    assert.equal(failed.length, 1);
    assert.match(String(failed[0]!.message), /`sleep 60` did not listen on \$PORT within 1 s/);
    // The sleeping process was killed with its group when its start was given up.
    await waitFor(() => s.backend.pool!.instances.every((i) => i.pid === undefined || processesIn(s.root).length <= 1), 5000, 'the stuck process gone');
  });
});

describe('hanging apps', () => {
  test('no answer before the deadline: 504', { timeout: 20_000 }, async () => {
    const s = await serve(app(flex('gunicorn -b 127.0.0.1:$PORT --timeout 120 main:app'), { 'main.py': HANGING }), { envelope: { deadline: 1500 } });
    const r = await fetch(s.port, '/before');
    assert.equal(r.status, 504);
    assert.equal(logged(s.logs, 'The entrypoint did not answer within').length, 1);
  });

  test('a response that stops halfway: the connection is cut, never a short 200 taken for whole', { timeout: 20_000 }, async () => {
    const s = await serve(app(flex('gunicorn -b 127.0.0.1:$PORT -k gthread --threads 4 --timeout 120 main:app'), { 'main.py': HANGING }), { envelope: { deadline: 1500 } });
    await assert.rejects(fetch(s.port, '/during'), /aborted|socket hang up|ECONNRESET/);
    // The instance is still good for the next request.
    const s2 = await fetch(s.port, '/before').catch((err: Error) => err);
    assert.ok(!(s2 instanceof Error) && s2.status === 504);
  });
});

describe('instances dying under load', () => {
  test('kill -9 of one of two instances: the other keeps answering, the dead one is replaced', { timeout: 30_000 }, async () => {
    const s = await serve(app(flex('gunicorn -b 127.0.0.1:$PORT -w 2 main:app', 'manual_scaling:', '  instances: 2'), { 'main.py': FLASK_MAIN }));
    await waitFor(() => s.backend.pool!.instances.length === 2 && s.backend.pool!.instances.every((i) => i.port > 0), 10_000, 'two instances');
    // Both instances ready: each answers with its worker's parent, the instance's own pid.
    const masters = new Set(s.backend.pool!.instances.map((i) => i.pid));
    const statuses: number[] = [];
    const parentsAfterKill = new Set<number>();
    let killed: number | undefined;
    const worker = async () => {
      for (let i = 0; i < 60; i++) {
        const r = await fetch(s.port, '/pid').catch(() => undefined);
        statuses.push(r?.status ?? 0);
        if (killed !== undefined && r?.status === 200) parentsAfterKill.add(Number(r.text.split(' ')[1]));
        if (statuses.length === 40 && killed === undefined) {
          killed = [...masters][0]!;
          process.kill(killed, 'SIGKILL');
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    assert.ok(killed !== undefined);
    assert.ok(statuses.every((st) => st === 200 || st === 502), `only 200s and 502s: ${[...new Set(statuses)].join(',')}`);
    assert.ok(statuses.filter((st) => st === 502).length <= 4, 'at most the requests in flight on the dead instance fail');
    const survivor = [...masters].find((p) => p !== killed)!;
    assert.ok(parentsAfterKill.has(survivor), 'the other instance kept answering');
    await waitFor(() => s.backend.pool!.instances.length === 2 && s.backend.pool!.instances.every((i) => i.pid !== killed && i.port > 0), 10_000, 'a replacement');
    const fresh = s.backend.pool!.instances.find((i) => !masters.has(i.pid))!;
    assert.ok(fresh, 'a new instance was started');
    assert.equal(logged(s.logs, 'Instance exited unexpectedly').length, 1);
  });
});
