#!/usr/bin/env node
// CGI benchmark (issue 8): a hello-world CGI script through appyaml's CGI backend, spawned per
// request and in App Engine's cached workers (main() called again), against the floor of any
// process-per-request server: a bare `python3 -c pass` spawn loop.
//   npm run build && node bench/cgi/run.mjs [--duration S] [--connections N] [--rounds N]
// Servers and the spawn loop run pinned to core 0, wrk to core 1, over loopback. Each round
// measures every case once; the table shows the median of the rounds.
// Needs Linux, two cores, taskset, wrk (apt-get install -y wrk) and /usr/bin/python3.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { preflight } from '../lib/preflight.mjs';
import { freePort } from '../lib/procs.mjs';
import { startGroup } from '../lib/server-group.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = join(HERE, 'app');
const PYTHON = '/usr/bin/python3';
const log = (msg) => process.stderr.write(`${msg}\n`);

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);

preflight([['wrk', 'apt-get install -y wrk'], ['taskset', 'apt-get install -y util-linux'], [PYTHON, 'apt-get install -y python3']]);

const SPAWN = 'appyaml CGI, process per request';
const CACHED = 'appyaml CGI, cached main()';
const FLOOR = `floor: ${PYTHON} -c pass spawn loop`;

async function startServer(mode) {
  const port = await freePort();
  const { stop } = await startGroup(mode, [process.execPath, join(HERE, 'server.mjs'), mode, APP, String(port)], port, { cores: '0' });
  return { port, stop };
}

const UNITS = { us: 1e-3, ms: 1, s: 1000 };
function wrk(port, seconds) {
  const out = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  const m = /^\s*50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out.stdout);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out.stdout)?.[1] ?? '0');
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)[1]), p50: m ? Number(m[1]) * UNITS[m[2]] : NaN, errors };
}

function floor(seconds) {
  const out = spawnSync('taskset', ['-c', '0', process.execPath, join(HERE, 'floor.mjs'), PYTHON, String(connections), String(seconds)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return { ...JSON.parse(out.stdout), errors: 0 };
}

const runs = new Map([SPAWN, CACHED, FLOOR].map((name) => [name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const [name, mode] of [[SPAWN, 'spawn'], [CACHED, 'cached']]) {
    log(`round ${round}/${rounds}, ${name}`);
    const running = await startServer(mode);
    try {
      wrk(running.port, 1); // warm-up, discarded
      runs.get(name).push(wrk(running.port, duration));
    } finally {
      await running.stop();
    }
  }
  log(`round ${round}/${rounds}, ${FLOOR}`);
  runs.get(FLOOR).push(floor(duration));
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const summary = Object.fromEntries(
  [...runs].map(([name, list]) => [name, { rps: median(list.map((r) => r.rps)), p50: median(list.map((r) => r.p50)), errors: list.reduce((n, r) => n + r.errors, 0) }]),
);
const f = (n, d = 2) => n.toFixed(d);
const rows = [...runs.keys()].map((name) => {
  const { rps, p50, errors } = summary[name];
  return `| ${name} | ${Math.round(rps)} | ${f(rps / summary[FLOOR].rps)}× | ${f(p50)} |${errors ? ` ${errors} non-2xx` : ''}`;
});
const spawned = summary[SPAWN];
const cached = summary[CACHED];
const base = summary[FLOOR];
process.stdout.write(
  [
    `| case (${connections} at a time) | req/s | vs the spawn floor | p50 ms |`,
    '|---|---:|---:|---:|',
    ...rows,
    '',
    `Cached main() vs spawn per request: ${f(cached.rps / spawned.rps)}× the requests/s (target ≥ 10×), p50 ${f(cached.p50)} ms against ${f(spawned.p50)} ms.`,
    `Spawn per request vs the bare spawn floor: ${f(base.rps / spawned.rps)}× fewer requests/s and p50 ${f(spawned.p50 / base.p50)}× the floor's (target within 1.2×).`,
    `Medians of ${rounds} rounds of ${duration} s; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} at the end.`,
    '',
  ].join('\n'),
);
