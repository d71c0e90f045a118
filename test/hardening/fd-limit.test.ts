/**
 * A full fd table (security.md §4): the fixture server's `ulimit -n` is lowered to 64 and it gets more
 * keep-alive connections than it has descriptors, plus requests that need one more (a file to
 * stream, a CGI process). It must not crash, must answer what it answers with 200 or 503 (or
 * close), and must serve normally once the connections are gone, with its fds back where they were.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startChild, type ChildServer } from './child-server.js';
import { keepAliveFlood, settlesTo, stillAnswers } from './fault-client.js';
import { buildFixture, processesMentioning } from './fixture.js';
import { get, raw } from './raw.js';

const FD_LIMIT = 64;
const fixture = buildFixture();
let server: ChildServer;
let baselineFds = 0;

before(async () => {
  server = await startChild(fixture.root, { maxInstances: 1, cgiMode: 'spawn' });
  await stillAnswers(server.port);
  assert.equal((await raw(server.port, get('/cgi/ok'))).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  server.limitFds(FD_LIMIT);
  baselineFds = server.fds();
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

it(`survives a full fd table (ulimit -n ${FD_LIMIT}) and recovers`, { timeout: 60_000 }, async (t) => {
  assert.ok(baselineFds < FD_LIMIT - 10, `only ${FD_LIMIT - baselineFds} fds to spare`);
  const flood = await keepAliveFlood(server.port, 2 * FD_LIMIT, '/static/ok.txt');
  // With the table full: a file that must be opened, and a CGI script that needs pipes.
  const starved = await Promise.all([raw(server.port, get('/static/big.bin'), 3000), raw(server.port, get('/cgi/ok'), 3000)]);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(server.running(), `the server crashed: ${server.stderr()}`);
  for (const status of [...flood.statuses, ...starved.map((r) => r.status)]) {
    assert.ok([0, 200, 503].includes(status), `status ${status} under fd exhaustion`);
  }
  assert.ok(flood.statuses.includes(200), 'no keep-alive connection was served at all');
  t.diagnostic(`under exhaustion: ${flood.statuses.filter((s) => s === 200).length} of ${flood.sockets.length} keep-alive requests answered 200, then [${starved.map((r) => r.status).join(', ')}]`);
  for (const socket of flood.sockets) socket.destroy();

  // Recovery starts once the server has closed its side of the connections.
  await settlesTo(() => server.fds(), baselineFds, 'open fds once the connections closed');
  await stillAnswers(server.port);
  assert.equal((await raw(server.port, get('/cgi/ok'))).body, 'hello from cgi');
  const file = await raw(server.port, get('/static/big.bin'));
  assert.equal(file.status, 200);
  assert.equal(file.body.length, 4 * 1024 * 1024);
  await settlesTo(() => server.fds(), baselineFds, 'open fds of the server');
});
