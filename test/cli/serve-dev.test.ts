/**
 * `appyaml serve --dev`: edits to app.yaml and Python code rebuild the middleware (the old
 * backends are stopped), a broken app.yaml keeps the previous version serving, static files follow.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appDir, py27 } from '../helpers/app-dir.js';
import { eventually, request, serveChild, type ServeChild } from '../examples/serve-child.js';

const handlers = ['handlers:', '- url: /a', '  static_files: a.txt', '  upload: a\\.txt', '- url: /py', '  script: main.app'];
const wsgi = (version: string) => `import os\ndef app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [('${version} %d' % os.getpid()).encode()]\n`;
const dir = appDir({ 'app.yaml': py27(...handlers), 'a.txt': 'first', 'main.py': wsgi('v1') });
let app: ServeChild;

before(async () => {
  app = await serveChild([dir, '--dev']);
});
after(async () => {
  assert.equal(await app.stop(), 0, app.output());
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a Python edit restarts the app: the new code answers, the old instance is stopped', async () => {
  const before = (await request(app.port, '/py')).body;
  assert.match(before, /^v1 \d+$/);
  const oldPid = Number(before.split(' ')[1]);
  writeFileSync(path.join(dir, 'main.py'), wsgi('v2'));
  await eventually(async () => (await request(app.port, '/py')).body.startsWith('v2'), 15_000);
  assert.match(app.output(), /main\.py changed: reloaded, 2 handlers/);
  await eventually(() => !isAlive(oldPid), 10_000);
});

test('an app.yaml edit adds handlers; a broken one is reported and the previous version keeps serving', async () => {
  writeFileSync(path.join(dir, 'b.txt'), 'bee');
  writeFileSync(path.join(dir, 'app.yaml'), py27(...handlers, '- url: /b', '  static_files: b.txt', '  upload: b\\.txt'));
  await eventually(async () => (await request(app.port, '/b')).status === 200, 15_000);
  assert.match(app.output(), /app\.yaml changed: reloaded, 3 handlers/);

  writeFileSync(path.join(dir, 'app.yaml'), py27(...handlers, '- url: /b', '  static_dir: ../outside'));
  await eventually(() => /cannot be loaded; still serving the previous version/.test(app.output()), 15_000);
  assert.match(app.output(), new RegExp(`${path.join(dir, 'app.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10:15: handlers\\[2\\]\\.static_dir`));
  assert.equal((await request(app.port, '/b')).body, 'bee');
});

test('static files follow edits without a reload', async () => {
  assert.equal((await request(app.port, '/a')).body, 'first');
  writeFileSync(path.join(dir, 'a.txt'), 'second');
  await eventually(async () => (await request(app.port, '/a')).body === 'second', 15_000);
});
