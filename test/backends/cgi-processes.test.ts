/** Stopping CGI scripts: deadlines, grandchildren, disconnects, the output cap (security.md rows 80–85). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { alive, fetch, logged, makeCgiApp, processesIn, startCgiServer, waitFor, type CgiServer } from './cgi-harness.js';

/** Writes "leader grandchild" pids to the file named by the query once both run. */
const PIDS = `import os, subprocess, sys
def started(child=None):
    with open(os.environ['QUERY_STRING'] + '.tmp', 'w') as f:
        f.write('%d %d' % (os.getpid(), child.pid if child else 0))
    os.rename(os.environ['QUERY_STRING'] + '.tmp', os.environ['QUERY_STRING'])
`;

const FILES: Record<string, string> = {
  // Ignores SIGTERM (and so does its grandchild, which inherits that): only SIGKILL stops them.
  'hang.py': `${PIDS}
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(['/bin/sleep', '300'])
started(child)
time.sleep(300)
`,
  // Answers and exits, leaving a grandchild that holds stdout open.
  'daemon.py': `${PIDS}
sys.stdout.write('Content-Type: text/plain\\n\\nanswered\\n')
sys.stdout.flush()
child = subprocess.Popen(['/bin/sleep', '300'])
started(child)
`,
  'slow.py': `${PIDS}
import time
sys.stdout.write('Content-Type: text/plain\\n\\n')
sys.stdout.flush()
child = subprocess.Popen(['/bin/sleep', '300'])
started(child)
time.sleep(300)
`,
  'huge.py': `${PIDS}
started()
sys.stdout.write('Content-Type: application/octet-stream\\n\\n')
sys.stdout.flush()
block = b'x' * (1 << 20)
for _ in range(40):
    sys.stdout.buffer.write(block)
`,
};

function pids(file: string): [number, number] {
  const [leader, child] = readFileSync(file, 'utf8').split(' ').map(Number);
  return [leader!, child!];
}

describe('stopping spawned CGI scripts', () => {
  let s: CgiServer;
  before(async () => {
    s = await startCgiServer(makeCgiApp(FILES), { cgi: { cgiMode: 'spawn' }, envelope: { deadline: 1500 } });
  });
  after(() => s.close());

  test('row 80: a script that never answers is a 504 just before the deadline; its group (grandchild included) is killed', async () => {
    const file = join(s.root, 'hang.pids');
    const r = await fetch(s.port, `/hang?${file}`);
    assert.equal(r.status, 504);
    const [leader, child] = pids(file);
    assert.ok(leader > 0 && child > 0);
    // SIGTERM is ignored: only the SIGKILL that follows it stops them.
    await waitFor(() => !alive(leader) && !alive(child), 6000, 'the script and its grandchild to die');
  });

  test('a grandchild holding stdout does not hold the response: the group dies with the script', async () => {
    const file = join(s.root, 'daemon.pids');
    const r = await fetch(s.port, `/daemon?${file}`);
    // Without the group kill, stdout would stay open until the deadline (504).
    assert.equal(r.status, 200);
    assert.equal(r.text, 'answered\n');
    const [, child] = pids(file);
    await waitFor(() => !alive(child), 3000, 'the grandchild to die');
  });

  test('row 85: a client that disconnects gets the script group killed', async () => {
    const file = join(s.root, 'slow.pids');
    const req = http.request({ host: '127.0.0.1', port: s.port, path: `/slow?${file}`, agent: false });
    req.on('error', () => {});
    req.end();
    await waitFor(() => existsSync(file), 5000, 'the script to start');
    const [leader, child] = pids(file);
    assert.ok(alive(leader) && alive(child));
    req.destroy();
    await waitFor(() => !alive(leader) && !alive(child), 5000, 'the script and its grandchild to die');
  });

  test('row 82: output over 32 MiB stops the script; App Engine answers 500 with an empty body', async () => {
    const file = join(s.root, 'huge.pids');
    const r = await fetch(s.port, `/huge?${file}`);
    assert.equal(r.status, 500);
    assert.equal(r.body.length, 0);
    assert.equal(logged(s.logs, 'CGI output over 33554432 bytes').length, 1);
    const [leader] = pids(file);
    await waitFor(() => !alive(leader), 3000, 'the script to die');
  });

  test('close() stops running scripts with their groups; later requests get 503', async () => {
    const file = join(s.root, 'closing.pids');
    const pending = fetch(s.port, `/slow?${file}`).then((r) => r.status, () => 'cut');
    await waitFor(() => existsSync(file), 5000, 'the script to start');
    const [leader, child] = pids(file);
    await s.backend.close();
    assert.ok(!alive(leader), 'close() resolves once the script has exited');
    await waitFor(() => !alive(child), 3000, 'its grandchild to die');
    assert.equal(await pending, 502);
    assert.equal((await fetch(s.port, '/daemon?x')).status, 503);
  });

  test('no process is left behind', async () => {
    await waitFor(() => processesIn(s.root).length === 0, 3000, 'every process under the app to exit');
  });
});
