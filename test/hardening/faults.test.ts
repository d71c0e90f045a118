/**
 * Fault injection (security.md §4) against the fixture server in a child process: backends killed
 * mid-request, hung, returning garbage or too much; clients leaving mid-upload and mid-download.
 * After each: the right status, the server still answering, its open fds back to what they were
 * and no backend process more than before. The full-fd-table case is in fd-limit.test.ts.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startChild, type ChildServer } from './child-server.js';
import { abortDownload, abortUpload, settlesTo, stillAnswers } from './fault-client.js';
import { alive, buildFixture, processesMentioning, readPid } from './fixture.js';
import { get, raw, request, type RawOutcome } from './raw.js';

const MiB = 1024 * 1024;
const fixture = buildFixture();
let server: ChildServer;
const baseline = { fds: 0, processes: 0 };
/** Backend processes of the fixture app (the server's own command line names the root too). */
const backends = () => processesMentioning(fixture.root).filter((pid) => pid !== server.pid).length;

before(async () => {
  // One WSGI instance and a process per CGI request, so that process and fd counts are exact.
  server = await startChild(fixture.root, { maxInstances: 1, cgiMode: 'spawn', deadline: 4000, deadlineGrace: 500 });
  await stillAnswers(server.port);
  assert.equal((await raw(server.port, get('/cgi/ok'))).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  baseline.fds = server.fds();
  baseline.processes = backends();
});

after(async () => {
  try {
    // Unset when before() failed: the fixture is still removed.
    if (server) await server.stop();
    assert.deepEqual(processesMentioning(fixture.root), [], 'backend processes outlived the server');
  } finally {
    fixture.remove();
  }
});

/** The invariants after every fault. */
async function recovered(): Promise<void> {
  assert.ok(server.running(), `the server crashed: ${server.stderr()}`);
  await stillAnswers(server.port);
  await settlesTo(() => server.fds(), baseline.fds, 'open fds of the server');
  await settlesTo(backends, baseline.processes, 'backend processes');
}

/** Forgets an old pid file, then resolves with the pid the app writes next. */
function nextPid(name: string): () => Promise<number> {
  rmSync(join(fixture.state, name), { force: true });
  return async () => {
    const until = Date.now() + 8000;
    for (;;) {
      const pid = readPid(fixture.state, name);
      if (pid) return pid;
      if (Date.now() > until) throw new Error(`no ${name}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
}

/** Sends `target`, SIGKILLs the pid the app writes to `pidFile` once it is written, resolves with the reply. */
async function killMidRequest(target: string, pidFile: string): Promise<RawOutcome> {
  const pid = nextPid(pidFile);
  const reply = raw(server.port, get(target), 10000);
  process.kill(await pid(), 'SIGKILL');
  return reply;
}

async function assertGone(pidFile: string): Promise<void> {
  const pid = readPid(fixture.state, pidFile)!;
  await settlesTo(() => (alive(pid) ? 1 : 0), 0, `pid ${pid} (${pidFile}) still running`);
}

describe('backend faults', { timeout: 60_000 }, () => {
  it('WSGI app killed mid-request → 502', async () => {
    assert.equal((await killMidRequest('/wsgi/kill-me', 'kill-me.pid')).status, 502);
    await recovered();
  });

  it('WSGI app hung → 500 at the deadline, its instance killed', async () => {
    const pid = nextPid('hang.pid');
    assert.equal((await raw(server.port, get('/wsgi/hang'), 10000)).status, 500);
    await pid();
    await assertGone('hang.pid');
    await recovered();
  });

  it('WSGI app returning garbage → 500; garbage on its stdio is only logged', async () => {
    for (const target of ['/wsgi/header-crlf', '/wsgi/status-2000', '/wsgi/str-body', '/wsgi/nostart']) {
      assert.equal((await raw(server.port, get(target))).status, 500, target);
    }
    assert.equal((await raw(server.port, get('/wsgi/garbage-stdio'))).body, 'survived garbage');
    await recovered();
  });

  it('WSGI response over 32 MiB → 500 with an empty body', async () => {
    const reply = await raw(server.port, get('/wsgi/huge'), 15000);
    assert.equal(reply.status, 500);
    assert.equal(reply.body, '');
    await recovered();
  });

  it('CGI script killed before its headers → 502', async () => {
    assert.equal((await killMidRequest('/cgi/fault/hang', 'cgi-hang.pid')).status, 502);
    await recovered();
  });

  it('CGI script killed mid-body → 502 (responses are buffered: nothing was sent)', async () => {
    assert.equal((await killMidRequest('/cgi/fault/slow', 'cgi-slow.pid')).status, 502);
    await recovered();
  });

  it('CGI script hung → 504, killed', async () => {
    const pid = nextPid('cgi-hang.pid');
    assert.equal((await raw(server.port, get('/cgi/fault/hang'), 10000)).status, 504);
    await pid();
    await assertGone('cgi-hang.pid');
    await recovered();
  });

  it('CGI script returning garbage → 502', async () => {
    for (const kind of ['noblank', 'newlinename', 'emptyname', 'status-abc']) {
      assert.equal((await raw(server.port, get(`/cgi/fault/${kind}`))).status, 502, kind);
    }
    await recovered();
  });

  it('CGI output over 32 MiB → 500 with an empty body, script killed', async () => {
    const pid = nextPid('cgi-huge.pid');
    const reply = await raw(server.port, get('/cgi/fault/huge'), 15000);
    assert.equal(reply.status, 500);
    assert.equal(reply.body, '');
    await pid();
    await assertGone('cgi-huge.pid');
    await recovered();
  });
});

describe('client faults', { timeout: 60_000 }, () => {
  it('client leaves mid-upload (Content-Length) to the WSGI app', async () => {
    await abortUpload(server.port, request('POST', '/wsgi/body', [`Content-Length: ${8 * MiB}`]).replace('Connection: close\r\n', ''), MiB);
    await recovered();
  });

  it('client leaves mid-upload (chunked) to the WSGI app', async () => {
    const head = 'POST /wsgi/body HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n';
    await abortUpload(server.port, head, 512 * 1024);
    await recovered();
  });

  it('client leaves mid-download of a static file streamed from disk', async () => {
    const got = await abortDownload(server.port, '/static/big.bin');
    assert.match(got.toString('latin1'), /^HTTP\/1\.1 200 /);
    await recovered();
  });

  it('client leaves mid-download from the WSGI app', async () => {
    const got = await abortDownload(server.port, '/wsgi/download');
    assert.match(got.toString('latin1'), /^HTTP\/1\.1 200 /);
    await recovered();
  });

  it('client leaves while a CGI script runs → the script is killed', async () => {
    const pid = nextPid('cgi-slow.pid');
    await raw(server.port, get('/cgi/fault/slow'), 500);
    await pid();
    await assertGone('cgi-slow.pid');
    await recovered();
  });
});
