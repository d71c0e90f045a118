/**
 * Instances of an entrypoint: manual scaling with a PORT each, readiness and liveness checks,
 * shutdown of a server that ignores SIGTERM, and the metadata server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startMetadataServer } from '../../lib/backends/entrypoint/metadata-server.js';
import { app, fetch, flex, FLASK_MAIN, logged, PYTHON, processesIn, startServer, waitFor } from './entrypoint-harness.js';
import { trackServers } from './harness.js';

const serve = trackServers(startServer);

/** GET straight to a port (an instance, the metadata server), bypassing the proxy. */
function direct(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      })
      .on('error', reject);
  });
}

const HEALTH_MAIN = String.raw`
import os
from flask import Flask

app = Flask(__name__)
calls = {'ready': 0}

@app.route('/ready')
def ready():
    calls['ready'] += 1
    return ('not yet', 503) if calls['ready'] <= 2 else 'ready'

@app.route('/calls')
def count():
    return str(calls['ready'])

@app.route('/live')
def live():
    return ('sick', 500) if os.path.exists('sick') else 'ok'

@app.route('/pid')
def pid():
    return str(os.getpid())
`;

describe('scaling', () => {
  test('manual_scaling: three instances, each with its own PORT and GAE_INSTANCE', { timeout: 30_000 }, async () => {
    const s = await serve(app(flex('gunicorn -b 127.0.0.1:$PORT main:app', 'manual_scaling:', '  instances: 3'), { 'main.py': FLASK_MAIN }));
    assert.equal((await fetch(s.port, '/')).text, 'hello');
    await waitFor(() => s.backend.pool!.instances.length === 3 && s.backend.pool!.instances.every((i) => i.port > 0), 15_000, 'three instances');
    const instances = s.backend.pool!.instances;
    assert.equal(new Set(instances.map((i) => i.port)).size, 3);
    for (const instance of instances) {
      const seen = JSON.parse((await waitForAnswer(instance.port, '/seen')).text) as { env: Record<string, string> };
      assert.equal(seen.env.PORT, String(instance.port));
      assert.equal(seen.env.GAE_INSTANCE, instance.id);
    }
  });
});

/** GET to a port, retried while the instance is still starting. */
async function waitForAnswer(port: number, path: string): Promise<{ status: number; text: string }> {
  for (let i = 0; ; i++) {
    try {
      return await direct(port, path);
    } catch (err) {
      if (i > 200) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('health checks', () => {
  test('readiness_check: no traffic before the path answered 2xx success_threshold times in a row', { timeout: 30_000 }, async () => {
    const s = await serve(
      app(flex('gunicorn -b 127.0.0.1:$PORT main:app', 'readiness_check:', '  path: /ready', '  success_threshold: 2', 'manual_scaling:', '  instances: 1'), { 'main.py': HEALTH_MAIN }),
    );
    // The first request waits for the start; by then /ready said 503 twice, then 200 twice.
    const r = await fetch(s.port, '/calls');
    assert.equal(r.status, 200);
    assert.equal(r.text, '4');
  });

  test('readiness_check that never passes: the start is given up after app_start_timeout_sec', { timeout: 30_000 }, async () => {
    const s = await serve(
      app(flex('gunicorn -b 127.0.0.1:$PORT main:app', 'readiness_check:', '  path: /missing', '  app_start_timeout_sec: 1'), { 'main.py': HEALTH_MAIN }),
    );
    const r = await fetch(s.port, '/pid');
    assert.equal(r.status, 503);
    assert.match(String(logged(s.logs, 'Instance failed to start')[0]?.message), /did not answer readiness_check \/missing with 2xx within 1 s/);
  });

  test('liveness_check: an instance that stops answering 2xx is restarted', { timeout: 30_000 }, async () => {
    const s = await serve(
      app(
        flex('gunicorn -b 127.0.0.1:$PORT main:app', 'liveness_check:', '  path: /live', '  check_interval_sec: 1', '  failure_threshold: 2', '  initial_delay_sec: 0', 'manual_scaling:', '  instances: 1'),
        { 'main.py': HEALTH_MAIN },
      ),
    );
    const before = (await fetch(s.port, '/pid')).text;
    const [first] = s.backend.pool!.instances;
    writeFileSync(join(s.root, 'sick'), '');
    await waitFor(() => logged(s.logs, 'liveness_check failed 2 times in a row').length === 1, 15_000, 'the liveness failure');
    rmSync(join(s.root, 'sick'));
    await waitFor(() => s.backend.pool!.instances.some((i) => i !== first && i.port > 0), 15_000, 'a new instance');
    const r = await fetch(s.port, '/pid');
    assert.equal(r.status, 200);
    assert.notEqual(r.text, before);
  });
});

describe('shutdown', () => {
  test('close(): a server that ignores SIGTERM is killed with its group after the grace period', { timeout: 30_000 }, async () => {
    const main = `${FLASK_MAIN}\nimport signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nif __name__ == '__main__':\n    app.run(host='127.0.0.1', port=int(os.environ['PORT']))\n`;
    const s = await startServer(app(flex(`${PYTHON} main.py`), { 'main.py': main }), { entrypoint: { stopGrace: 300 } });
    assert.equal((await fetch(s.port, '/')).text, 'hello');
    assert.equal(processesIn(s.root).length, 1);
    await s.close();
    assert.deepEqual(processesIn(s.root), []);
  });
});

describe('Node killed', () => {
  test('SIGKILL of the Node process: the servers go too (setpriv --pdeathsig)', { timeout: 60_000 }, async () => {
    const root = app(flex('gunicorn -b 127.0.0.1:$PORT -w 2 main:app', 'manual_scaling:', '  instances: 2'), { 'main.py': FLASK_MAIN });
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'entrypoint-hold.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
        child.once('exit', () => reject(new Error('the holder exited')));
      });
      const pids = JSON.parse(line) as number[];
      assert.equal(pids.length, 2);
      await waitFor(() => processesIn(root).length >= 2 * 3, 15_000, 'two masters with two workers each');
      child.kill('SIGKILL');
      // gunicorn's master stops its workers on SIGTERM; on a loaded machine that can take a while.
      await waitFor(() => processesIn(root).length === 0, 40_000, 'every server gone');
    } finally {
      child.kill('SIGKILL');
      for (const pid of processesIn(root)) process.kill(pid, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('metadata server', () => {
  test('403 without Metadata-Flavor: Google; the values with it; recursive JSON', async () => {
    const m = await startMetadataServer({ projectId: 'my-project', zone: 'europe-west1-b', hostname: 'box' });
    try {
      const denied = await direct(m.port, '/computeMetadata/v1/project/project-id');
      assert.equal(denied.status, 403);
      const flavor = { 'Metadata-Flavor': 'Google' };
      const get = async (path: string) => {
        const r = await direct(m.port, `/computeMetadata/v1/${path}`, flavor);
        assert.equal(r.status, 200, path);
        assert.equal(r.headers['metadata-flavor'], 'Google');
        return r.text;
      };
      assert.equal(await get('project/project-id'), 'my-project');
      const numeric = await get('project/numeric-project-id');
      assert.match(numeric, /^[1-9]\d{11}$/);
      assert.match(await get('instance/id'), /^[1-9]\d{18}$/);
      assert.equal(await get('instance/zone'), `projects/${numeric}/zones/europe-west1-b`);
      assert.equal(await get('instance/hostname'), 'box');
      assert.equal(await get('instance/network-interfaces/0/access-configs/0/external-ip'), '127.0.0.1');
      const all = JSON.parse(await get('project/?recursive=true')) as Record<string, string>;
      assert.deepEqual(all, { projectId: 'my-project', numericProjectId: numeric });
      const instance = JSON.parse(await get('instance?recursive=true')) as { networkInterfaces: Array<{ accessConfigs: Array<{ externalIp: string }> }> };
      assert.equal(instance.networkInterfaces[0]!.accessConfigs[0]!.externalIp, '127.0.0.1');
      assert.equal((await direct(m.port, '/computeMetadata/v1/instance/nothing', flavor)).status, 404);
    } finally {
      await m.close();
    }
  });

  test('metadataServer: true points the app at it with GCE_METADATA_HOST', { timeout: 30_000 }, async () => {
    const s = await serve(app(flex('gunicorn -b 127.0.0.1:$PORT main:app', 'application: meta-app'), { 'main.py': FLASK_MAIN }), { entrypoint: { metadataServer: true } });
    const seen = JSON.parse((await fetch(s.port, '/seen')).text) as { env: Record<string, string> };
    assert.match(seen.env.GCE_METADATA_HOST!, /^127\.0\.0\.1:\d+$/);
    // The app asks it, as Google's client libraries do.
    const r = await fetch(s.port, '/meta');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'meta-app');
  });
});
