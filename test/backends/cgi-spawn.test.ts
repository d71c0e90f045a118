/** CGI scripts in a process per request (RFC 3875): real Python and shell scripts. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fetch, logged, makeCgiApp, processesIn, startCgiServer, type CgiServer } from './cgi-harness.js';

const ECHO_PY = `import json, os, sys
body = sys.stdin.buffer.read(int(os.environ.get('CONTENT_LENGTH') or 0))
env = {k: v for k, v in os.environ.items()}
sys.stdout.write('Content-Type: application/json\\n\\n')
sys.stdout.write(json.dumps({'env': env, 'argv': sys.argv, 'cwd': os.getcwd(), 'body': body.decode('latin-1')}))
`;

const FILES: Record<string, string> = {
  'echo.py': ECHO_PY,
  'hello.py': `import os
print('Content-Type: text/plain')
print()
print('hello %s %s ?%s' % (os.environ['REQUEST_METHOD'], os.environ['PATH_INFO'], os.environ['QUERY_STRING']))
`,
  'status.py': "print('Status: 404 Nope')\nprint('Content-Type: text/plain')\nprint()\nprint('not here')\n",
  'local.py': "print('Location: /hello?from=local')\nprint()\n",
  'absolute.py': "print('Location: https://example.com/elsewhere?a=1')\nprint()\n",
  'redirectdoc.py': "print('Status: 301 Moved')\nprint('Location: /hello')\nprint('Content-Type: text/plain')\nprint()\nprint('moved')\n",
  'loop.py': "print('Location: /loop')\nprint()\n",
  'tostatic.py': "print('Location: /static/x.txt')\nprint()\n",
  'cookies.py': `import sys
sys.stdout.write('Content-Type: text/html\\r\\nSet-Cookie: a=1; Path=/\\r\\nSet-Cookie: b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT\\r\\nX-Note: one: two\\r\\n\\r\\n<p>ok</p>')
`,
  'form.py': `import os, sys
from urllib.parse import parse_qs
data = sys.stdin.buffer.read(int(os.environ['CONTENT_LENGTH']))
form = parse_qs(data.decode('utf-8'))
print('Content-Type: text/plain; charset=utf-8')
print()
print('%s %s name=%s tags=%s' % (os.environ['REQUEST_METHOD'], os.environ['CONTENT_TYPE'], form['name'][0], ','.join(form['tag'])))
`,
  'large.py': `import sys
sys.stdout.write('Content-Type: application/octet-stream\\n\\n')
sys.stdout.flush()
block = bytes(range(256)) * 4096
for _ in range(5):
    sys.stdout.buffer.write(block)
`,
  'stderr.py': `import os, sys
sys.stderr.write('oops from stderr\\n')
sys.stderr.flush()
print('Content-Type: text/plain')
print()
print(os.environ['REQUEST_LOG_ID'])
`,
  'cgi-bin/run.sh': `#!/bin/bash
echo "Content-Type: text/plain"
echo
echo "agent=$HTTP_USER_AGENT"
echo "path=$PATH_INFO"
`,
  'cgi-bin/noexec': '#!/bin/sh\necho hi\n',
};

describe('spawned CGI scripts', () => {
  let s: CgiServer;
  before(async () => {
    s = await startCgiServer(makeCgiApp(FILES), { cgi: { cgiMode: 'spawn' } });
  });
  after(() => s.close());

  test('a document: Content-Type and body, PATH_INFO decoded, QUERY_STRING raw', async () => {
    const r = await fetch(s.port, '/hello?q=a%20b');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.text, 'hello GET /hello ?q=a%20b\n');
  });

  test('Status: 404 Nope gives 404 with the reason and the body', async () => {
    const r = await fetch(s.port, '/status');
    assert.equal(r.status, 404);
    assert.equal(r.text, 'not here\n');
  });

  test('a local Location is fetched internally as a GET, the body dropped', async () => {
    const r = await fetch(s.port, '/local', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'ignored' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.location, undefined);
    assert.equal(r.text, 'hello GET /hello ?from=local\n');
  });

  test('an absolute Location without Status is a 302 with that Location', async () => {
    const r = await fetch(s.port, '/absolute');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://example.com/elsewhere?a=1');
  });

  test('a Location with a Status is passed to the client as it is', async () => {
    const r = await fetch(s.port, '/redirectdoc');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/hello');
    assert.equal(r.text, 'moved\n');
  });

  test('a local redirect loop ends in 502', async () => {
    const r = await fetch(s.port, '/loop');
    assert.equal(r.status, 502);
    assert.equal(logged(s.logs, 'CGI local redirects').length, 1);
  });

  test('a local redirect to a path no CGI handler serves goes to the client as a 302', async () => {
    const r = await fetch(s.port, '/tostatic');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/static/x.txt');
  });

  test('repeated Set-Cookie headers all arrive; values keep their colons; CRLF accepted', async () => {
    const r = await fetch(s.port, '/cookies');
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
    assert.equal(r.headers['x-note'], 'one: two');
    assert.equal(r.text, '<p>ok</p>');
  });

  test('a form POST reaches stdin with CONTENT_LENGTH and CONTENT_TYPE', async () => {
    const body = 'name=J%C3%BCrgen&tag=a&tag=b';
    const r = await fetch(s.port, '/form', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'POST application/x-www-form-urlencoded name=Jürgen tags=a,b\n');
  });

  test('a chunked body is read whole first and gets a CONTENT_LENGTH', async () => {
    const r = await fetch(s.port, '/echo', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: ['part one, ', 'part two'] });
    const out = JSON.parse(r.text) as { env: Record<string, string>; body: string };
    assert.equal(out.env.CONTENT_LENGTH, '18');
    assert.equal(out.body, 'part one, part two');
  });

  test('large output (5 MiB) arrives byte for byte', async () => {
    const r = await fetch(s.port, '/large');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 5 * 1024 * 1024);
    const block = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.ok(r.body.subarray(0, 256).equals(block));
    assert.ok(r.body.subarray(r.body.length - 256).equals(block));
  });

  test('stderr goes to the log as ERROR with the request id; the response is still 200', async () => {
    const r = await fetch(s.port, '/stderr');
    assert.equal(r.status, 200);
    const lines = logged(s.logs, 'oops from stderr');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.severity, 'ERROR');
    assert.equal(lines[0]!.requestId, r.text.trim());
  });

  test('the meta-variables: RFC 3875 and App Engine names, the script, no Proxy (httpoxy), no Authorization, no argv from the query', async () => {
    const r = await fetch(s.port, '/echo?-s+-d+x', {
      headers: { Proxy: 'http://evil.example:3128', Authorization: 'Basic eDp5', 'X-Custom': 'yes', Cookie: 'a=1' },
    });
    const out = JSON.parse(r.text) as { env: Record<string, string>; argv: string[]; cwd: string };
    const env = out.env;
    assert.equal(env.HTTP_PROXY, undefined);
    assert.equal(env.http_proxy, undefined);
    assert.equal(env.HTTP_AUTHORIZATION, undefined);
    assert.equal(env.HTTP_X_CUSTOM, 'yes');
    assert.equal(env.HTTP_COOKIE, 'a=1');
    assert.equal(env.GATEWAY_INTERFACE, 'CGI/1.1');
    assert.equal(env.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(env.REQUEST_METHOD, 'GET');
    assert.equal(env.SCRIPT_NAME, '');
    assert.equal(env.PATH_INFO, '/echo');
    assert.equal(env.QUERY_STRING, '-s+-d+x');
    assert.equal(env.SERVER_NAME, '127.0.0.1');
    assert.equal(env.SERVER_PORT, String(s.port));
    assert.equal(env.REMOTE_ADDR, '127.0.0.1');
    assert.equal(env.REMOTE_HOST, '127.0.0.1');
    assert.equal(env.PATH_TRANSLATED, join(s.root, 'echo.py'));
    assert.equal(env.SCRIPT_FILENAME, join(s.root, 'echo.py'));
    assert.match(env.APPLICATION_ID!, /^s~/);
    assert.match(env.GAE_INSTANCE!, /^[0-9a-f]{64}$/);
    assert.equal(env.HTTPS, 'off');
    assert.match(env.REQUEST_LOG_ID!, /^[0-9a-f]+$/);
    assert.equal(env.CONTENT_LENGTH, undefined);
    assert.deepEqual(out.argv, [join(s.root, 'echo.py')]);
    assert.equal(out.cwd, s.root);
  });

  test('a non-ASCII path reaches PATH_INFO as its UTF-8 text', async () => {
    const r = await fetch(s.port, '/sh/caf%C3%A9');
    assert.equal(r.status, 200);
    assert.equal(r.text.split('\n')[1], 'path=/sh/caf\u00e9');
  });

  test('meta-variables over 64 KiB are refused with 431 before anything is spawned', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 8; i++) headers[`X-Big-${i}`] = 'x'.repeat(9000);
    const r = await fetch(s.port, '/echo', { headers });
    assert.equal(r.status, 431);
    assert.equal(logged(s.logs, 'answered 431').length, 1);
  });

  test('a missing script is 404; a script that is not executable is 502', async () => {
    assert.equal((await fetch(s.port, '/missing')).status, 404);
    assert.equal((await fetch(s.port, '/noexec')).status, 502);
    assert.equal(logged(s.logs, 'cgi-bin/noexec is not executable').length, 1);
  });

  test('shellshock: a function definition in User-Agent runs nothing in a bash CGI script', async () => {
    const marker = join(s.root, 'pwned');
    const r = await fetch(s.port, '/sh/x', { headers: { 'User-Agent': `() { :; }; /usr/bin/touch ${marker}` } });
    assert.equal(r.status, 200);
    assert.equal(r.text, `agent=() { :; }; /usr/bin/touch ${marker}\npath=/sh/x\n`);
    assert.equal(existsSync(marker), false);
  });

  test('no process is left behind', () => {
    assert.deepEqual(processesIn(s.root), []);
  });
});
