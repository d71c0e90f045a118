#!/usr/bin/env node
// WSGI benchmark (issue 7): hello world through appyaml's WSGI backend against Debian's gunicorn
// serving the same callable directly (sync and gthread workers), two Python processes each.
//   npm run build && node bench/wsgi/run.mjs [--duration S] [--connections N] [--rounds N]
// Servers run pinned to core 0, wrk to core 1, over loopback. Each round measures every server
// once (load, then one connection); the table shows the median of the rounds, which a busy
// machine skews less than a single measurement.
// Needs Linux, two cores, taskset, wrk (apt-get install -y wrk) and gunicorn (apt-get install -y gunicorn).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { preflight } from '../lib/preflight.mjs';
import { freePort } from '../lib/procs.mjs';
import { startGroup } from '../lib/server-group.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = join(HERE, 'app');
const PROCESSES = 2;
const log = (msg) => process.stderr.write(`${msg}\n`);

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);

preflight([['wrk', 'apt-get install -y wrk'], ['taskset', 'apt-get install -y util-linux'], ['/usr/bin/gunicorn', 'apt-get install -y gunicorn']]);

const SERVERS = [
  { name: 'appyaml WSGI, threadsafe', command: [process.execPath, join(HERE, 'server.mjs'), 'wsgi', APP] },
  { name: 'appyaml WSGI, not threadsafe', command: [process.execPath, join(HERE, 'server.mjs'), 'wsgi-single', APP] },
  { name: 'gunicorn sync', command: ['/usr/bin/gunicorn', '-w', String(PROCESSES), '-k', 'sync', '--chdir', APP, 'main:app'] },
  { name: 'gunicorn gthread', command: ['/usr/bin/gunicorn', '-w', String(PROCESSES), '-k', 'gthread', '--threads', '4', '--chdir', APP, 'main:app'] },
  { name: 'node baseline (no Python)', command: [process.execPath, join(HERE, 'server.mjs'), 'node', APP] },
];

async function startServer(server) {
  const port = await freePort();
  const [cmd, ...args] = server.command;
  const full = cmd.endsWith('gunicorn') ? [...args, '-b', `127.0.0.1:${port}`] : [...args, String(port)];
  const { pid, stop } = await startGroup(server.name, [cmd, ...full], port, { cores: '0' });
  return { port, pid, stop };
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU seconds (user + system) used so far by process `root` and its descendants: the server and
 * everything it started (gunicorn's workers, appyaml's bridges, which lead process groups of
 * their own). Less sensitive than throughput to other load on the machine.
 */
function treeCpu(root) {
  const procs = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      // Fields after the parenthesised command: state, ppid, ..., utime (14th), stime (15th).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      procs.push({ pid: Number(pid), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between listing and reading.
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return procs.reduce((sum, p) => (tree.has(p.pid) ? sum + p.ticks : sum), 0) / CLOCK_TICKS;
}

const UNITS = { us: 1e-3, ms: 1, s: 1000 };
function wrk(port, conns, seconds) {
  const out = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${conns}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out.stdout);
    return m ? Number(m[1]) * UNITS[m[2]] : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out.stdout)?.[1] ?? '0';
  const socketErrors = /Socket errors: (.*)/.exec(out.stdout)?.[1];
  const requests = Number(/(\d+) requests in/.exec(out.stdout)[1]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)[1]), requests, p50: ms('50%'), p99: ms('99%'), errors: Number(errors), socketErrors };
}

const runs = new Map(SERVERS.map((server) => [server.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const server of SERVERS) {
    log(`round ${round}/${rounds}, ${server.name}`);
    const running = await startServer(server);
    try {
      wrk(running.port, connections, 2); // warm-up, discarded
      const cpuBefore = treeCpu(running.pid);
      const load = wrk(running.port, connections, duration);
      load.cpu = ((treeCpu(running.pid) - cpuBefore) / load.requests) * 1e6;
      runs.get(server.name).push({ load, single: wrk(running.port, 1, duration) });
    } finally {
      await running.stop();
    }
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = (list, key) => ({
  rps: median(list.map((r) => r[key].rps)),
  cpu: median(list.map((r) => r[key].cpu ?? 0)),
  p50: median(list.map((r) => r[key].p50)),
  p99: median(list.map((r) => r[key].p99)),
  errors: list.reduce((n, r) => n + r[key].errors, 0),
  socketErrors: list.map((r) => r[key].socketErrors).filter(Boolean).join('; '),
});
const results = [...runs].map(([name, list]) => ({ name, load: summary(list, 'load'), single: summary(list, 'single') }));
const byName = Object.fromEntries(results.map((r) => [r.name, r]));
const sync = byName['gunicorn sync'];
const baseline = byName['node baseline (no Python)'];
const f = (n, d = 2) => n.toFixed(d);
const rows = results.map(({ name, load, single }) =>
  `| ${name} | ${Math.round(load.rps)} | ${f(load.rps / sync.load.rps)}× | ${f(load.p50)} | ${f(load.p99)} | ${Math.round(load.cpu)} | ${f(single.p50, 3)} | ${f(single.p99, 3)} | ${Math.round(single.rps)} |${load.errors + single.errors ? ` ${load.errors + single.errors} non-2xx` : ''}${load.socketErrors ? ` (${load.socketErrors})` : ''}`,
);
const verdicts = ['appyaml WSGI, threadsafe', 'appyaml WSGI, not threadsafe'].flatMap((name) => {
  const wsgi = byName[name];
  return [
    `${name} vs gunicorn sync: ${f(wsgi.load.rps / sync.load.rps)}× the requests/s (target ≥ 1.5×); ` +
      `p50 ${f(wsgi.load.p50 / sync.load.p50)}×, p99 ${f(wsgi.load.p99 / sync.load.p99)}× gunicorn sync's under load. ` +
      `Added latency at p50, 1 connection: ${f((wsgi.single.p50 - baseline.single.p50) * 1000, 0)} µs over the same Node server answering without Python ` +
      `(target < 200 µs); ${f((wsgi.single.p50 - sync.single.p50) * 1000, 0)} µs against gunicorn sync.`,
  ];
});
process.stdout.write(
  [
    `| server (${PROCESSES} Python processes) | req/s, ${connections} conns | vs gunicorn sync | p50 ms | p99 ms | server CPU µs/req | p50 ms, 1 conn | p99 ms, 1 conn | req/s, 1 conn |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...verdicts,
    `Medians of ${rounds} rounds of ${duration} s; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} at the end.`,
    '',
  ].join('\n'),
);
