/**
 * The bounded soak (security.md §4): autocannon on loopback for a fixed time and connection count,
 * over a mix of static, WSGI, CGI and hostile routes of the fixture server running in a child
 * process; the server's RSS and open fds are read from /proc before and after. Used by
 * `npm run soak` (scripts/soak.mjs) and, shortened, by soak.test.ts.
 */
import autocannon from 'autocannon';
import { startChild, type ChildServer } from './child-server.js';
import { buildFixture, processesMentioning } from './fixture.js';
import { get, raw } from './raw.js';

export interface SoakOptions {
  /** Seconds of load. */
  duration: number;
  connections: number;
  /** Open fds the server may have gained by the end. */
  maxFdGrowth: number;
  /** RSS the server may have gained by the end, MiB. */
  maxRssGrowthMiB: number;
}

export interface SoakReport {
  options: SoakOptions;
  requests: number;
  /** Connection errors and timeouts (autocannon's `errors`). */
  errors: number;
  /** `path status` → count, for answers other than the route's expected one. */
  unexpected: Record<string, number>;
  statuses: Record<string, number>;
  p99Ms: number;
  rssMiB: { start: number; end: number };
  fds: { start: number; end: number };
  /** Backend processes left once the server stopped. */
  leftoverProcesses: number;
  /** Why the run fails its acceptance; empty when it passes. */
  failures: string[];
}

/** The mix, in the order each connection cycles through it: 6 static, 2 WSGI, 1 CGI, 1 hostile. */
const MIX: Array<[string, number]> = [
  ['/static/ok.txt', 200],
  ['/img/logo.png', 200],
  ['/wsgi/hello', 200],
  ['/static/sub/x.txt', 200],
  ['/files/static/a..b.txt', 200],
  ['/cgi/ok', 200],
  ['/static/l', 200],
  ['/wsgi/env', 200],
  ['/static/ok.txt', 200],
  ['/static/%2e%2e/app.yaml', 400],
];

const MiB = 1024 * 1024;
const WARM_UP_SECONDS = 3;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const fixture = buildFixture();
  let started: ChildServer | undefined;
  try {
    const server = (started = await startChild(fixture.root, { maxInstances: 2 }));
    const unexpected: Record<string, number> = {};
    const load = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${server.port}`,
        connections: options.connections,
        duration,
        timeout: 10,
        requests: MIX.map(([path, expected]) => ({
          method: 'GET',
          path,
          onResponse: (status: number) => {
            if (status !== expected) unexpected[`${path} ${status}`] = (unexpected[`${path} ${status}`] ?? 0) + 1;
          },
        })),
      });
    // Warm up under the same load, so that every instance the load scales to (and its fds) exists
    // before the first reading: growth measured after that is what the load leaks.
    for (const [path] of MIX) await raw(server.port, get(path));
    await load(WARM_UP_SECONDS);
    await new Promise((r) => setTimeout(r, 1500));
    const start = { rss: server.rss(), fds: server.fds() };
    const result = await load(options.duration);
    // Let keep-alive connections close and instances go idle before the last reading.
    await new Promise((r) => setTimeout(r, 1500));
    const end = { rss: server.rss(), fds: server.fds() };
    const crashed = !server.running();
    await server.stop();
    const leftoverProcesses = processesMentioning(fixture.root).length;

    const report: SoakReport = {
      options,
      requests: result.requests.total,
      errors: result.errors,
      unexpected,
      statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, Number(count)])),
      p99Ms: result.latency.p99,
      rssMiB: { start: round(start.rss / MiB), end: round(end.rss / MiB) },
      fds: { start: start.fds, end: end.fds },
      leftoverProcesses,
      failures: [],
    };
    const failures = report.failures;
    if (crashed) failures.push(`the server exited during the run: ${server.stderr()}`);
    if (report.errors > 0) failures.push(`${report.errors} connection errors or timeouts`);
    if (Object.keys(unexpected).length > 0) failures.push(`unexpected statuses: ${JSON.stringify(unexpected)}`);
    if (end.fds - start.fds > options.maxFdGrowth) failures.push(`open fds grew from ${start.fds} to ${end.fds} (bound ${options.maxFdGrowth})`);
    if (end.rss - start.rss > options.maxRssGrowthMiB * MiB) {
      failures.push(`RSS grew from ${report.rssMiB.start} to ${report.rssMiB.end} MiB (bound ${options.maxRssGrowthMiB} MiB)`);
    }
    if (leftoverProcesses > 0) failures.push(`${leftoverProcesses} backend processes outlived the server`);
    return report;
  } finally {
    await started?.stop();
    fixture.remove();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
