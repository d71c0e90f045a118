/** mode: 'development': the index follows edits in the app folder. */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appYaml, type AppYamlMiddleware } from '../../lib/app-yaml.js';
import { eventually, fetchPath, makeApp, removeDir, serveHttp, type Running } from './helpers.js';

const APP_YAML = String.raw`
runtime: python312
handlers:
- url: /s
  static_dir: static
- url: /f/(.*)
  static_files: files/\1
  upload: files/.*\.txt
`;

let root: string;
let middleware: AppYamlMiddleware;
let server: Running;

before(async () => {
  root = makeApp({
    'app.yaml': APP_YAML,
    'static/a.txt': 'version 1',
    'static/big.bin': Buffer.alloc(100 * 1024, 1),
    'files/gone.txt': 'soon gone',
  });
  middleware = appYaml({ root, mode: 'development' });
  server = await serveHttp(middleware);
});

after(async () => {
  await server.close();
  middleware.close();
  removeDir(root);
});

const body = async (path: string) => {
  const reply = await fetchPath(server.port, path);
  return reply.status === 200 ? reply.body.toString() : `${reply.status}`;
};

describe('development mode', { timeout: 10000 }, () => {
  it('serves a changed file with its new bytes and a new ETag', async () => {
    const first = await fetchPath(server.port, '/s/a.txt');
    assert.equal(first.body.toString(), 'version 1');
    writeFileSync(join(root, 'static/a.txt'), 'version 2, longer');
    assert.ok(await eventually(async () => (await body('/s/a.txt')) === 'version 2, longer'), await body('/s/a.txt'));
    const second = await fetchPath(server.port, '/s/a.txt');
    assert.notEqual(second.headers.etag, first.headers.etag);
    assert.equal(second.headers['content-length'], '17');
    assert.equal((await fetchPath(server.port, '/s/a.txt', { headers: { 'If-None-Match': String(first.headers.etag) } })).status, 200);
  });

  it('serves a changed large file from disk', async () => {
    writeFileSync(join(root, 'static/big.bin'), Buffer.alloc(120 * 1024, 2));
    assert.ok(await eventually(async () => (await fetchPath(server.port, '/s/big.bin')).headers['content-length'] === String(120 * 1024)));
    const reply = await fetchPath(server.port, '/s/big.bin');
    assert.equal(reply.status, 200);
    assert.ok(reply.body.every((b) => b === 2));
  });

  it('picks up added files and folders', async () => {
    assert.equal(await body('/s/new/b.txt'), '404');
    mkdirSync(join(root, 'static/new'));
    writeFileSync(join(root, 'static/new/b.txt'), 'added');
    assert.ok(await eventually(async () => (await body('/s/new/b.txt')) === 'added'));
  });

  it('still applies upload, skip_files and containment to new files', async () => {
    writeFileSync(join(root, 'files/ok.txt'), 'ok');
    writeFileSync(join(root, 'files/no.bin'), 'not in upload');
    writeFileSync(join(root, 'static/.secret'), 'dotfile');
    symlinkSync('/etc/passwd', join(root, 'static/passwd'));
    assert.ok(await eventually(async () => (await body('/f/ok.txt')) === 'ok'));
    assert.equal(await body('/f/no.bin'), '404');
    assert.equal(await body('/s/.secret'), '404');
    assert.equal(await body('/s/passwd'), '404');
  });

  it('forgets removed files', async () => {
    assert.equal(await body('/f/gone.txt'), 'soon gone');
    rmSync(join(root, 'files/gone.txt'));
    assert.ok(await eventually(async () => (await body('/f/gone.txt')) === '404'));
  });

  it('notices a static folder created after startup', async () => {
    const app = makeApp({ 'app.yaml': 'runtime: python312\nhandlers:\n- url: /late\n  static_dir: late/files\n' });
    const mw = appYaml({ root: app, mode: 'development' });
    const late = await serveHttp(mw);
    try {
      assert.equal((await fetchPath(late.port, '/late/x.txt')).status, 404);
      mkdirSync(join(app, 'late/files'), { recursive: true });
      writeFileSync(join(app, 'late/files/x.txt'), 'late');
      assert.ok(await eventually(async () => (await fetchPath(late.port, '/late/x.txt')).body.toString() === 'late'));
    } finally {
      await late.close();
      mw.close();
      removeDir(app);
    }
  });
});
