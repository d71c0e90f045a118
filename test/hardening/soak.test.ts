/**
 * The short soak for CI (`npm run soak` is the long one): 10 s of mixed load on the fixture server.
 * Acceptance: no connection error, no unexpected status, fds within 5 of the start, no backend
 * process left, no runaway RSS. Throughput and latency are reported, never asserted.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runSoak } from './soak-run.js';

it('10 s of static, WSGI, CGI and hostile requests: no unexpected status, bounded fds', { timeout: 90_000 }, async (t) => {
  // 10 s is too short for RSS to level off (GC heuristics): only a runaway fails here; `npm run soak` holds 64 MiB.
  const report = await runSoak({ duration: 10, connections: 4, maxFdGrowth: 5, maxRssGrowthMiB: 256 });
  t.diagnostic(`${report.requests} requests, p99 ${report.p99Ms} ms, RSS ${report.rssMiB.start}→${report.rssMiB.end} MiB, fds ${report.fds.start}→${report.fds.end}`);
  assert.ok(report.requests > 0, 'no request was answered');
  assert.deepEqual(report.failures, []);
});
