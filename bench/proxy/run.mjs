#!/usr/bin/env node
// Reverse-proxy benchmark (issue 9). Two parts, one run each:
//  1. the proxy alone: a node:http upstream answering "hello", hit directly and through appyaml's
//     entrypoint proxy, http-proxy 1.18, undici 7 forwarding and nginx proxy_pass (upstream keepalive);
//  2. end to end: Debian's gunicorn serving a Flask hello world, directly, through appYaml() (envelope,
//     routing, App Engine's response capture) and through entrypoint() alone (no capture).
//   npm run build && node bench/proxy/run.mjs [--duration S] [--connections N] [--part proxy|e2e|both]
// Servers run pinned to core 0 (all but the last core when there are more), wrk to the last core.
// Needs Linux, taskset, wrk, nginx (/usr/sbin/nginx), gunicorn and python3-flask (apt-get install -y wrk nginx gunicorn python3-flask),
// and the bench dependencies (npm --prefix bench install).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { preflight } from '../lib/preflight.mjs';
import { freePort } from '../lib/procs.mjs';
import { startGroup } from '../lib/server-group.mjs';
import { gunicornCommand } from './gunicorn.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = join(HERE, 'app');
const SERVERS = join(HERE, 'servers.mjs');
const NGINX = '/usr/sbin/nginx';
const log = (msg) => process.stderr.write(`${msg}\n`);

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' }, part: { type: 'string', default: 'both' } },
});
const part = values.part;
if (!['both', 'proxy', 'e2e'].includes(part)) {
  log('--part is proxy, e2e or both');
  process.exit(1);
}
const duration = Number(values.duration);
const connections = Number(values.connections);
const cores = availableParallelism();
const serverCores = cores > 2 ? `0-${cores - 2}` : '0';
const loadCore = String(cores - 1);

preflight([['wrk', 'apt-get install -y wrk'], ['taskset', 'apt-get install -y util-linux'], [NGINX, 'apt-get install -y nginx'], ['/usr/bin/gunicorn', 'apt-get install -y gunicorn python3-flask']]);
if (!existsSync(join(HERE, '..', 'node_modules', 'http-proxy')) || !existsSync(join(HERE, '..', 'node_modules', 'undici'))) {
  log('bench dependencies are missing: npm --prefix bench install');
  process.exit(1);
}

/** Starts `command` pinned to the server cores in its own process group; resolves with `stop` once `port` answers 200. */
async function start(name, command, port, options = {}) {
  return (await startGroup(name, command, port, { cores: serverCores, cwd: options.cwd })).stop;
}

function nginxConfig(dir, port, upstream) {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstream}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`,
  );
  return conf;
}

const UNITS = { us: 1e-3, ms: 1, s: 1000 };
function wrk(port, seconds) {
  const out = spawnSync('taskset', ['-c', loadCore, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out.stdout);
    return m ? Number(m[1]) * UNITS[m[2]] : NaN;
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)[1]),
    p50: ms('50%'),
    p99: ms('99%'),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out.stdout)?.[1] ?? 0) + (/Socket errors: (.*)/.test(out.stdout) ? 1 : 0),
  };
}

/** Runs `setup` (which starts what it needs and returns the port to load and a stop function), warms up, measures. */
async function measure(name, setup) {
  log(name);
  const { port, stops } = await setup();
  try {
    wrk(port, 1);
    return { name, ...wrk(port, duration) };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

const node = (kind, port, arg) => [process.execPath, SERVERS, kind, String(port), ...(arg === undefined ? [] : [String(arg)])];

async function upstreamAnd(name, proxyCommand) {
  const upstream = await freePort();
  const port = await freePort();
  const stops = [await start('upstream', node('upstream', upstream), upstream)];
  try {
    stops.push(await start(name, proxyCommand(port, upstream), port));
  } catch (err) {
    for (const stop of stops) await stop();
    throw err;
  }
  return { port, stops };
}

const temp = mkdtempSync(join(tmpdir(), 'appyaml-bench-proxy-'));
const proxyRows = [];
const e2eRows = [];
try {
  if (part !== 'e2e') await measureProxies();
  if (part !== 'proxy') await measureEndToEnd();
} finally {
  rmSync(temp, { recursive: true, force: true });
}

async function measureProxies() {
  proxyRows.push(
    await measure('direct (node:http upstream)', async () => {
      const port = await freePort();
      return { port, stops: [await start('upstream', node('upstream', port), port)] };
    }),
  );
  proxyRows.push(
    await measure('appyaml entrypoint proxy', async () => {
      const port = await freePort();
      return { port, stops: [await start('appyaml', node('appyaml', port), port, { cwd: temp })] };
    }),
  );
  proxyRows.push(await measure('http-proxy 1.18', () => upstreamAnd('http-proxy', (port, up) => node('http-proxy', port, up))));
  proxyRows.push(await measure('undici 7 Pool forwarding', () => upstreamAnd('undici', (port, up) => node('undici', port, up))));
  proxyRows.push(
    await measure('nginx proxy_pass, keepalive', () => upstreamAnd('nginx', (port, up) => [NGINX, '-p', temp, '-e', join(temp, 'error.log'), '-c', nginxConfig(temp, port, up)])),
  );
}

async function measureEndToEnd() {
  e2eRows.push(
    await measure('gunicorn direct', async () => {
      const port = await freePort();
      return { port, stops: [await start('gunicorn', ['sh', '-c', `exec ${gunicornCommand(port)}`], port, { cwd: APP })] };
    }),
  );
  for (const [name, kind] of [['through appYaml()', 'appyaml-full'], ['through entrypoint() alone (no envelope, no capture)', 'entrypoint-only']]) {
    e2eRows.push(
      await measure(name, async () => {
        const port = await freePort();
        return { port, stops: [await start(kind, node(kind, port, APP), port, { cwd: APP })] };
      }),
    );
  }
}

const f = (n, d = 2) => n.toFixed(d);
const table = (title, rows) => {
  const base = rows[0];
  return [
    `| ${title} | req/s, ${connections} conns | vs ${base.name} | p50 ms | p99 ms |`,
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${Math.round(r.rps)} | ${f(r.rps / base.rps)}× | ${f(r.p50)} | ${f(r.p99)} |${r.errors ? ` ${r.errors} errors` : ''}`),
  ];
};
const by = (rows, prefix) => rows.find((r) => r.name.startsWith(prefix));
const lines = [];
if (proxyRows.length > 0) {
  const ours = by(proxyRows, 'appyaml');
  lines.push(
    ...table('proxy alone', proxyRows),
    '',
    `appyaml's proxy: ${f(ours.rps / by(proxyRows, 'http-proxy').rps)}× http-proxy (target ≥ 1.5×), ${f(ours.rps / by(proxyRows, 'nginx').rps)}× nginx (target ≥ 0.65×), ${f(ours.rps / by(proxyRows, 'undici').rps)}× undici.`,
    '',
  );
}
if (e2eRows.length > 0) {
  const full = by(e2eRows, 'through appYaml');
  const alone = by(e2eRows, 'through entrypoint');
  lines.push(
    ...table('end to end (gunicorn gthread ×2, Flask)', e2eRows),
    '',
    `End to end: appYaml() ${f(full.rps / e2eRows[0].rps)}× gunicorn direct (target ≥ 0.95×); entrypoint() alone ${f(alone.rps / e2eRows[0].rps)}×; the envelope, routing and response capture of appYaml() cost ${f((1 - full.rps / alone.rps) * 100, 1)} % of throughput.`,
    '',
  );
}
process.stdout.write(
  [
    ...lines,
    `One run of ${duration} s each; servers on core(s) ${serverCores}, wrk on core ${loadCore}; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} at the end.`,
    '',
  ].join('\n'),
);
