/**
 * The entrypoint forms of App Engine's flexible Python runtime, with Debian's gunicorn and Flask:
 * plain, a `-c gunicorn.conf.py` config file, gunicorn trusting appyaml's forwarded headers, and a
 * `python main.py` server on $PORT; the environment the app sees; nothing left after close().
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { app, fetch, flex, FLASK_MAIN, PYTHON, processesIn, startServer } from './entrypoint-harness.js';
import { trackServers } from './harness.js';

const serve = trackServers(startServer);

interface Seen {
  scheme: string;
  url: string;
  remote_addr: string;
  headers: Record<string, string>;
  body: string;
  env: Record<string, string>;
}

describe('gunicorn forms', () => {
  test('plain: gunicorn -b :$PORT main:app serves Flask on the PORT it was given', async () => {
    const s = await serve(app(flex('gunicorn -b 127.0.0.1:$PORT main:app', 'env_variables:', '  MY_SETTING: "on"'), { 'main.py': FLASK_MAIN }));
    const r = await fetch(s.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hello');
    const seen = JSON.parse((await fetch(s.port, '/seen')).text) as Seen;
    const [instance] = s.backend.pool!.instances;
    assert.equal(seen.env.PORT, String(instance!.port));
    assert.equal(seen.env.GAE_INSTANCE, instance!.id);
    assert.equal(seen.env.GAE_SERVICE, 'default');
    assert.equal(seen.env.MY_SETTING, 'on');
    assert.equal(seen.env.GCE_METADATA_HOST, undefined, 'no metadata server unless asked');
  });

  test('-c gunicorn.conf.py with workers = cpu*2+1: every worker is the instance process group', async () => {
    const conf = 'import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n';
    const s = await serve(app(flex('gunicorn -c gunicorn.conf.py -b 127.0.0.1:$PORT main:app'), { 'main.py': FLASK_MAIN, 'gunicorn.conf.py': conf }));
    assert.equal((await fetch(s.port, '/')).text, 'hello');
    const [instance] = s.backend.pool!.instances;
    const [, parent] = (await fetch(s.port, '/pid')).text.split(' ');
    // The worker's parent is the gunicorn master, which is the instance's own process (exec, no shell).
    assert.equal(Number(parent), instance!.pid);
    const expected = availableParallelism() * 2 + 1;
    let workers = 0;
    for (let i = 0; i < 100 && workers < expected + 1; i++) {
      workers = processesIn(s.root).length;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(workers, expected + 1, 'master plus cpu*2+1 workers');
  });

  const FORWARDED_CONF = "forwarded_allow_ips = '*'\nsecure_scheme_headers = {'X-APPENGINE-HTTPS': 'on'}\n";

  test('forwarded headers config: the app sees https for https requests and http for http ones', async () => {
    const s = await serve(app(flex('gunicorn -c gunicorn.conf.py -b 127.0.0.1:$PORT main:app'), { 'main.py': FLASK_MAIN, 'gunicorn.conf.py': FORWARDED_CONF }));
    // A loopback peer is a trusted proxy by default: its X-Forwarded-Proto: https makes the request https.
    const https = JSON.parse((await fetch(s.port, '/seen', { headers: { 'X-Forwarded-Proto': 'https', Host: 'example.com' } })).text) as Seen;
    assert.equal(https.scheme, 'https');
    assert.equal(https.url, 'https://example.com/seen');
    assert.equal(https.headers['x-appengine-https'], 'on');
    const http = JSON.parse((await fetch(s.port, '/seen', { headers: { Host: 'example.com' } })).text) as Seen;
    assert.equal(http.scheme, 'http');
    assert.equal(http.headers['x-appengine-https'], 'off');
  });

  test('a client cannot make the app believe https through an untrusted peer', async () => {
    const s = await serve(app(flex('gunicorn -c gunicorn.conf.py -b 127.0.0.1:$PORT main:app'), { 'main.py': FLASK_MAIN, 'gunicorn.conf.py': FORWARDED_CONF }), {
      envelope: { trustProxy: false },
    });
    const seen = JSON.parse((await fetch(s.port, '/seen', { headers: { 'X-Forwarded-Proto': 'https', 'X-AppEngine-Https': 'on' } })).text) as Seen;
    assert.equal(seen.scheme, 'http');
    assert.equal(seen.headers['x-appengine-https'], 'off');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
  });

  test('python main.py listening on $PORT', async () => {
    const main = `${FLASK_MAIN}\nif __name__ == '__main__':\n    app.run(host='127.0.0.1', port=int(os.environ['PORT']))\n`;
    const s = await serve(app(flex(`${PYTHON} main.py`), { 'main.py': main }));
    const r = await fetch(s.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hello');
  });
});
