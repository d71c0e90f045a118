/** App Engine's app caching: `.py` CGI scripts run in persistent workers, main() cached. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetch, logged, makeCgiApp, processesIn, startCgiServer, waitFor, type CgiServer } from './cgi-harness.js';

const FILES: Record<string, string> = {
  'counter.py': `import os
count = 0

def main():
    global count
    count += 1
    leaked = os.environ.get('LEAK', '-')
    os.environ['LEAK'] = 'set by an earlier request'
    print('Content-Type: text/plain')
    print()
    print('%d %s %d %s' % (count, os.environ['QUERY_STRING'], os.getpid(), leaked))

if __name__ == '__main__':
    main()
`,
  'helper.py': 'calls = 0\n',
  'rerun.py': `import os, helper
runs = 0
runs += 1
helper.calls += 1
print('Content-Type: text/plain')
print()
print('%d %d %s' % (runs, helper.calls, __name__))
`,
  'witharg.py': `runs = globals().get('runs', 0) + 1

def main(request):
    pass

print('Content-Type: text/plain')
print()
print(runs)
`,
  'form.py': `import os, sys
from urllib.parse import parse_qs
data = sys.stdin.buffer.read(int(os.environ['CONTENT_LENGTH']))
form = parse_qs(data.decode('utf-8'))
print('Content-Type: text/plain; charset=utf-8')
print()
print('%s len=%d name=%s' % (os.environ['REQUEST_METHOD'], len(data), form['name'][0]))
`,
  'raise.py': `import sys
print('Content-Type: text/plain')
print()
print('LEAK before the error')
raise ValueError('script broke')
`,
  'logs.py': `import logging, os, sys
sys.stderr.write('to stderr\\n')
logging.warning('to logging')
print('Content-Type: text/plain')
print()
print(os.environ['REQUEST_LOG_ID'] + ' ' + os.getcwd())
`,
  'sleepy.py': `import time
from google.appengine.runtime import DeadlineExceededError
try:
    time.sleep(300)
except DeadlineExceededError:
    print('Status: 503 Busy')
    print('Content-Type: text/plain')
    print()
    print('caught the deadline')
`,
  'crash.py': 'import os\nos._exit(1)\n',
  'big.py': `import sys
sys.stdout.write('Content-Type: application/octet-stream\\n\\n')
sys.stdout.flush()
for _ in range(3):
    sys.stdout.buffer.write(b'y' * (1 << 20))
`,
};

describe('cached CGI scripts (App Engine app caching)', () => {
  let s: CgiServer;
  before(async () => {
    s = await startCgiServer(makeCgiApp(FILES), { envelope: { deadline: 3000 }, cgi: { maxInstances: 1, maxResponseBytes: 2 * 1024 * 1024 } });
  });
  after(() => s.close());

  test('a script with main() keeps its module state; each request gets its own os.environ', async () => {
    const first = (await fetch(s.port, '/counter?a')).text.trim().split(' ');
    const second = (await fetch(s.port, '/counter?b')).text.trim().split(' ');
    assert.deepEqual([first[0], first[1], first[3]], ['1', 'a', '-']);
    // main() only: the module's count goes on; LEAK, set in os.environ by the first run, is gone.
    assert.deepEqual([second[0], second[1], second[3]], ['2', 'b', '-']);
    assert.equal(first[2], second[2], 'the same worker process');
  });

  test('a script without main() runs whole each time, as __main__; the modules it imports stay cached', async () => {
    assert.equal((await fetch(s.port, '/rerun')).text, '1 1 __main__\n');
    assert.equal((await fetch(s.port, '/rerun')).text, '1 2 __main__\n');
  });

  test('a main() that takes an argument is not cached: the script runs whole again', async () => {
    assert.equal((await fetch(s.port, '/witharg')).text, '1\n');
    assert.equal((await fetch(s.port, '/witharg')).text, '1\n');
  });

  test('a POST body (1 MiB) reaches sys.stdin', async () => {
    const body = `name=J%C3%BCrgen&pad=${'p'.repeat(1024 * 1024)}`;
    const r = await fetch(s.port, '/form', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(r.status, 200);
    assert.equal(r.text, `POST len=${body.length} name=Jürgen\n`);
  });

  test('an exception is a 500 with nothing of the output; the traceback goes to the log', async () => {
    const r = await fetch(s.port, '/raise');
    assert.equal(r.status, 500);
    assert.ok(!r.text.includes('LEAK'));
    assert.equal(logged(s.logs, "ValueError: script broke").filter((l) => String(l.message).includes('Traceback')).length, 1);
  });

  test('stderr and logging go to the log with the request id; the script runs in its folder', async () => {
    const r = await fetch(s.port, '/logs');
    const [requestId, cwd] = r.text.trim().split(' ');
    assert.equal(cwd, s.root);
    const stderr = logged(s.logs, 'to stderr');
    const logging = logged(s.logs, 'to logging');
    assert.equal(stderr.length, 1);
    assert.equal(stderr[0]!.requestId, requestId);
    assert.equal(stderr[0]!.severity, 'ERROR');
    assert.equal(logging[0]!.requestId, requestId);
    assert.equal(logging[0]!.severity, 'WARNING');
  });

  test('DeadlineExceededError interrupts time.sleep before the deadline; the script answers; the worker lives on', async () => {
    const before = (await fetch(s.port, '/counter?x')).text.trim().split(' ')[2];
    const r = await fetch(s.port, '/sleepy');
    assert.equal(r.status, 503);
    assert.equal(r.text, 'caught the deadline\n');
    const after = (await fetch(s.port, '/counter?y')).text.trim().split(' ')[2];
    assert.equal(after, before);
  });

  test('output over maxResponseBytes is 500 with an empty body; the worker serves on', async () => {
    const r = await fetch(s.port, '/big');
    assert.equal(r.status, 500);
    assert.equal(r.body.length, 0);
    assert.equal((await fetch(s.port, '/rerun')).status, 200);
  });

  test('a worker that dies mid-request is 502, and the next request gets a new worker', async () => {
    const pid = (await fetch(s.port, '/counter?z')).text.trim().split(' ')[2];
    assert.equal((await fetch(s.port, '/crash')).status, 502);
    const next = await fetch(s.port, '/counter?again');
    assert.equal(next.status, 200);
    const [count, , newPid] = next.text.trim().split(' ');
    assert.notEqual(newPid, pid);
    assert.equal(count, '1', 'a new worker starts the module afresh');
  });

  test('close() leaves no process behind', async () => {
    assert.ok(processesIn(s.root).length >= 1, 'the worker runs until close()');
    await s.backend.close();
    await waitFor(() => processesIn(s.root).length === 0, 5000, 'the worker to exit');
  });
});

describe('cgiMode: spawn forces a process per request', () => {
  let s: CgiServer;
  before(async () => {
    s = await startCgiServer(makeCgiApp(FILES), { cgi: { cgiMode: 'spawn' } });
  });
  after(() => s.close());

  test('a main() script starts afresh every time, in a new process', async () => {
    const first = (await fetch(s.port, '/counter?a')).text.trim().split(' ');
    const second = (await fetch(s.port, '/counter?b')).text.trim().split(' ');
    assert.equal(first[0], '1');
    assert.equal(second[0], '1');
    assert.notEqual(first[2], second[2]);
  });
});
