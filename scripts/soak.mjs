#!/usr/bin/env node
/**
 * `npm run soak`: the bounded soak of issue #11 (test/hardening/soak-run.ts) for a few minutes.
 * Loopback only. Environment: SOAK_DURATION (seconds, default 180), SOAK_CONNECTIONS (10),
 * SOAK_MAX_FD_GROWTH (5), SOAK_MAX_RSS_GROWTH_MB (64). Exits 1 on an unexpected status, a
 * connection error, or growth beyond the bounds.
 */
import { runSoak } from '../test/hardening/soak-run.ts';

const number = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

const options = {
  duration: number('SOAK_DURATION', 180),
  connections: number('SOAK_CONNECTIONS', 10),
  maxFdGrowth: number('SOAK_MAX_FD_GROWTH', 5),
  maxRssGrowthMiB: number('SOAK_MAX_RSS_GROWTH_MB', 64),
};
process.stdout.write(`soak: ${options.duration} s, ${options.connections} connections, static/WSGI/CGI/hostile mix\n`);
const report = await runSoak(options);
const { failures, ...numbers } = report;
process.stdout.write(`${JSON.stringify(numbers, null, 2)}\n`);
if (failures.length > 0) {
  process.stdout.write(`FAIL\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('PASS: no unexpected status, fds and RSS within bounds, no process left\n');
}
