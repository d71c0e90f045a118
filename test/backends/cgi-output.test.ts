/** Broken CGI output (security.md §2.4 rows 73–83, backends.md §1.4–§1.5): 502, nothing of it forwarded. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetch, logged, makeCgiApp, processesIn, startCgiServer, type CgiServer, type CgiServerOptions } from './cgi-harness.js';

/** `broken.py?case` writes the case's bytes to stdout, then exits with its code. */
const BROKEN_PY = `import os, sys
CASES = {
    'noblank': (b'Content-Type: text/plain\\nX-Leak: 1\\n', 0),
    'nooutput': (b'', 0),
    'longline': (b'X-Leak: ' + b'a' * (1 << 20) + b'\\nContent-Type: text/plain\\n\\nLEAK', 0),
    'longblock': (b''.join(b'X-Leak-%d: %s\\n' % (i, b'b' * 1000) for i in range(70)) + b'Content-Type: text/plain\\n\\nLEAK', 0),
    'manylines': (b''.join(b'X-Leak-%d: 1\\n' % i for i in range(101)) + b'Content-Type: text/plain\\n\\nLEAK', 0),
    'emptyname': (b'Content-Type: text/plain\\n: nameless\\n\\nLEAK', 0),
    'spacedname': (b'Content-Type: text/plain\\nBad Name: x\\n\\nLEAK', 0),
    'spacebeforecolon': (b'Content-Type : text/plain\\n\\nLEAK', 0),
    'nocolon': (b'Content-Type: text/plain\\ngarbage\\n\\nLEAK', 0),
    'folded': (b'Content-Type: text/plain\\nX-Leak: 1\\n  folded\\n\\nLEAK', 0),
    'control': (b'Content-Type: text/plain\\nX-Leak: a\\x01b\\n\\nLEAK', 0),
    'bare-cr': (b'Content-Type: text/plain\\nX-Leak: a\\rSet-Cookie: x=1\\n\\nLEAK', 0),
    'status-abc': (b'Status: abc\\nContent-Type: text/plain\\n\\nLEAK', 0),
    'status-99': (b'Status: 99\\nContent-Type: text/plain\\n\\nLEAK', 0),
    'status-1000': (b'Status: 1000\\nContent-Type: text/plain\\n\\nLEAK', 0),
    'status-101': (b'Status: 101 Switching Protocols\\nUpgrade: h2c\\n\\n', 0),
    'status-twice': (b'Status: 200 OK\\nStatus: 404 No\\nContent-Type: text/plain\\n\\nLEAK', 0),
    'type-twice': (b'Content-Type: text/plain\\nContent-Type: text/html\\n\\nLEAK', 0),
    'no-cgi-field': (b'X-Leak: 1\\n\\nLEAK', 0),
    'no-type': (b'Status: 200 OK\\nX-Leak: 1\\n\\nLEAK', 0),
    'chunked': (b'Content-Type: text/plain\\nTransfer-Encoding: chunked\\n\\n4\\r\\nLEAK\\r\\n0\\r\\n\\r\\n', 0),
    'location-js': (b'Location: javascript:alert(1)\\n\\n', 0),
    'location-scheme-relative': (b'Location: //evil.example/x\\n\\n', 0),
    'location-space': (b'Location: /a b\\n\\n', 0),
    'location-backslash': (b'Location: /\\\\evil.example/x\\n\\n', 0),
    'length-short': (b'Content-Type: text/plain\\nContent-Length: 10\\n\\nLEAK', 0),
    'length-long': (b'Content-Type: text/plain\\nContent-Length: 2\\n\\nLEAK', 0),
    'length-bad': (b'Content-Type: text/plain\\nContent-Length: -1\\n\\nLEAK', 0),
    'exit-mid-body': (b'Content-Type: text/plain\\nX-Leak: 1\\n\\nLEAK partial', 3),
    'killed-mid-body': (b'Content-Type: text/plain\\nX-Leak: 1\\n\\nLEAK partial', -9),
    'local-then-exit': (b'Location: /ok\\n\\n', 1),
}
out, code = CASES[os.environ['QUERY_STRING']]
sys.stdout.buffer.write(out)
sys.stdout.flush()
if code < 0:
    os.kill(os.getpid(), -code)
sys.exit(code)
`;

const OK_PY = `import os, sys
case = os.environ['QUERY_STRING']
if case == 'complete-then-exit':
    sys.stdout.buffer.write(b'Content-Type: text/plain\\nContent-Length: 4\\n\\ndone')
    sys.stdout.flush()
    sys.exit(2)
sys.stdout.buffer.write(b'Content-Type: text/plain\\r\\nConnection: close\\r\\nKeep-Alive: timeout=5\\r\\nTrailer: X-T\\r\\nUpgrade: h2c\\r\\nProxy-Connection: x\\r\\nX-Latin: caf\\xe9\\r\\nX-Kept: 1\\r\\n\\r\\nfine')
`;

const CASES = [
  'noblank', 'nooutput', 'longline', 'longblock', 'manylines', 'emptyname', 'spacedname', 'spacebeforecolon', 'nocolon',
  'folded', 'control', 'bare-cr', 'status-abc', 'status-99', 'status-1000', 'status-101', 'status-twice', 'type-twice',
  'no-cgi-field', 'no-type', 'chunked', 'location-js', 'location-scheme-relative', 'location-space', 'location-backslash', 'length-short',
  'length-long', 'length-bad', 'exit-mid-body', 'killed-mid-body', 'local-then-exit',
];

for (const [mode, options] of [
  ['spawned', { cgi: { cgiMode: 'spawn' } }],
  ['cached', {}],
] as Array<[string, CgiServerOptions]>) {
  describe(`broken output from ${mode} scripts`, () => {
    let s: CgiServer;
    before(async () => {
      s = await startCgiServer(makeCgiApp({ 'broken.py': BROKEN_PY, 'ok.py': OK_PY }), options);
    });
    after(() => s.close());

    for (const name of CASES) {
      // In a cached worker sys.exit(n) is an error in the script: App Engine's 500. A script that
      // kills itself kills its worker: 502.
      const status = mode === 'cached' && (name === 'exit-mid-body' || name === 'local-then-exit') ? 500 : 502;
      test(`${name}: ${status}, nothing forwarded`, async () => {
        const r = await fetch(s.port, `/broken?${name}`);
        assert.equal(r.status, status);
        assert.ok(!r.text.includes('LEAK'), 'no byte of the body');
        assert.ok(!r.rawHeaders.some((h) => /^x-leak/i.test(h)), 'no header of the script');
        assert.equal(r.headers['set-cookie'], undefined);
        assert.match(r.text, status === 502 ? /Error: Bad Gateway/ : /Error: Server Error/);
      });
    }

    test('a complete response (its Content-Length met) is kept despite a non-zero exit, and logged', async () => {
      const r = await fetch(s.port, '/ok?complete-then-exit');
      if (mode === 'cached') {
        // sys.exit(2) in-process is an error, as on App Engine.
        assert.equal(r.status, 500);
        return;
      }
      assert.equal(r.status, 200);
      assert.equal(r.text, 'done');
      assert.equal(logged(s.logs, 'exited with code 2 after a complete response').length, 1);
    });

    test('connection-level headers are dropped; Latin-1 bytes and other headers are kept', async () => {
      const r = await fetch(s.port, '/ok?clean');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'fine');
      const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      for (const name of ['keep-alive', 'trailer', 'upgrade', 'proxy-connection']) assert.ok(!names.includes(name), name);
      assert.equal(r.headers['x-kept'], '1');
      assert.equal(r.headers['x-latin'], 'caf\u00e9');
    });

    test('every broken case was logged with its reason', () => {
      assert.ok(logged(s.logs, 'Invalid CGI output').length + logged(s.logs, 'exited').length >= CASES.length - 1);
      assert.equal(logged(s.logs, 'Invalid CGI output: invalid Status "abc"').length, 1);
    });

    test('no script process is left behind', () => {
      const left = processesIn(s.root);
      // The cached worker itself stays, idle, until close().
      assert.ok(mode === 'cached' ? left.length <= 1 : left.length === 0, `left: ${left.join(' ')}`);
    });
  });
}
