/**
 * Files streamed from disk: a 20 MB download, aborted downloads (no file descriptor may stay
 * open), HEAD opening nothing, and production's startup snapshot.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appYaml, type AppYamlMiddleware } from '../../lib/app-yaml.js';
import { eventually, fetchPath, makeApp, openFds, removeDir, serveExpress, serveHttp, type Running } from './helpers.js';

const SIZE = 20 * 1024 * 1024;
const BIG = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += 4) BIG.writeUInt32LE((i * 2654435761) >>> 0, i);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');

let root: string;
let middleware: AppYamlMiddleware;
let http: Running;
let express: Running;

before(async () => {
  root = makeApp({
    'app.yaml': 'runtime: python312\nhandlers:\n- url: /files\n  static_dir: files\n',
    'files/big.bin': BIG,
    'files/medium.txt': 'm'.repeat(100 * 1024),
    'files/small.txt': 'small',
    'files/doomed.txt': 'd'.repeat(100 * 1024),
  });
  middleware = appYaml({ root });
  http = await serveHttp(middleware);
  express = await serveExpress(middleware);
});

after(async () => {
  await http.close();
  await express.close();
  middleware.close();
  removeDir(root);
});

/** Starts a download over a raw socket, reads at least `bytes`, then cuts the connection. */
function abortAfter(port: number, path: string, bytes: number): Promise<number> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= bytes) {
        socket.destroy();
        ok(received);
      }
    });
    socket.on('error', fail);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

describe('a 20 MB file', { timeout: 15000 }, () => {
  it('downloads whole and intact', async () => {
    const reply = await fetchPath(http.port, '/files/big.bin');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-length'], String(SIZE));
    assert.equal(reply.headers['content-type'], 'application/octet-stream');
    assert.equal(createHash('sha256').update(reply.body).digest('hex'), BIG_SHA);
  });

  for (const host of ['node:http', 'express']) {
    it(`closes the file when the client aborts (${host})`, async () => {
      const port = host === 'express' ? express.port : http.port;
      // Warm up so that lazily opened descriptors (libuv, tsx) are in the baseline.
      await abortAfter(port, '/files/big.bin', 256 * 1024);
      const before = await steadyFds();
      for (let i = 0; i < 10; i++) await abortAfter(port, '/files/big.bin', 1024 * 1024);
      const settled = await eventually(() => openFds() <= before, 3000);
      assert.ok(settled, `descriptors: ${openFds()} open, ${before} before the aborted downloads`);
    });
  }

  it('closes the file when the client stops reading mid-range', async () => {
    const before = await steadyFds();
    await new Promise<void>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: http.port, path: '/files/big.bin', headers: { Range: 'bytes=1000000-' }, agent: false }, (res) => {
        assert.equal(res.statusCode, 206);
        res.once('data', () => {
          req.destroy();
          ok();
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? ok() : fail(err)));
      req.end();
    });
    assert.ok(await eventually(() => openFds() <= before, 3000), `descriptors: ${openFds()} open, ${before} before`);
  });

  it('answers HEAD without opening the file', async () => {
    const before = await steadyFds();
    const replies = await Promise.all(Array.from({ length: 20 }, () => fetchPath(http.port, '/files/big.bin', { method: 'HEAD' })));
    for (const reply of replies) {
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-length'], String(SIZE));
      assert.equal(reply.body.length, 0);
    }
    assert.ok(await eventually(() => openFds() <= before, 3000));
  });
});

describe('production snapshot', { timeout: 5000 }, () => {
  it('does not serve files added after startup', async () => {
    writeFileSync(join(root, 'files/late.txt'), 'late');
    assert.equal((await fetchPath(http.port, '/files/late.txt')).status, 404);
  });

  it('answers 404 for a large file changed or removed after startup, never stale bytes under the old ETag', async () => {
    assert.equal((await fetchPath(http.port, '/files/medium.txt')).status, 200);
    writeFileSync(join(root, 'files/medium.txt'), 'changed');
    assert.equal((await fetchPath(http.port, '/files/medium.txt')).status, 404);
    rmSync(join(root, 'files/doomed.txt'));
    assert.equal((await fetchPath(http.port, '/files/doomed.txt')).status, 404);
  });

  it('keeps answering small files from memory', async () => {
    writeFileSync(join(root, 'files/small.txt'), 'rewritten');
    const reply = await fetchPath(http.port, '/files/small.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'small');
  });
});

/** The descriptor count once it has stopped changing for 100 ms. */
async function steadyFds(): Promise<number> {
  let last = openFds();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = openFds();
    if (now === last) return now;
    last = now;
  }
  return last;
}
