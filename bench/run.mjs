#!/usr/bin/env node
// Static-file benchmark for appyaml (issue 3, "Benchmark"). `npm run bench` in the root, or
//   node bench/run.mjs [--rounds N] [--duration S] [--only name,name] [--quick]
// Each server is its own child process pinned to core 0; wrk (and this script) run on core 1.
// Round 1 measures every server once per scenario, then round 2, …; the table shows medians.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { SCENARIOS, SERVERS, takesPart } from './lib/catalog.mjs';
import { makeFixtures } from './lib/fixtures.mjs';
import { request, warmUp } from './lib/http.mjs';
import { cpuSample, machineBusy } from './lib/cpu.mjs';
import { canPin, freePort, installCleanup, pinSelf, start, stop, waitReady } from './lib/procs.mjs';
import { measureRss } from './lib/rss.mjs';
import { judgeTargets, median, summarize, summarizeRss } from './lib/summary.mjs';
import { renderTables } from './lib/table.mjs';
import { runWrk } from './lib/wrk.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const REPORT_LUA = join(BENCH, 'lua', 'report.lua');
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const log = (msg) => process.stderr.write(`${msg}\n`);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// ---------------------------------------------------------------- options

function options() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: node bench/run.mjs [--rounds N] [--duration S] [--only name,name] [--quick]
  --rounds N     rounds; every server runs once per scenario in each round (default 3)
  --duration S   seconds per wrk measurement, whole seconds (default 5)
  --only a,b     servers and/or scenarios to run (default: all)
                 servers:   ${SERVERS.filter((s) => !s.hidden).map((s) => s.name).join(', ')}
                 scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --quick        smoke run: 1 round of 1 s`);
    process.exit(0);
  }
  const rounds = values.quick ? 1 : Number(values.rounds ?? 3);
  const duration = values.quick ? 1 : Number(values.duration ?? 5);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) fail('--rounds must be a whole number from 1 to 20');
  if (!Number.isInteger(duration) || duration < 1 || duration > 60) fail('--duration must be whole seconds from 1 to 60');
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [];
  for (const name of only) {
    if (!SERVERS.some((s) => s.name === name) && !SCENARIOS.some((s) => s.name === name)) {
      fail(`--only: unknown name "${name}"; servers: ${SERVERS.map((s) => s.name).join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    }
  }
  return { rounds, duration, only, quick: values.quick };
}

function fail(message) {
  log(`bench: ${message}`);
  process.exit(1);
}

// ---------------------------------------------------------------- preflight

const APT = 'apt-get update && apt-get install -y wrk nginx   (as root, or with sudo)';

function has(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error ? undefined : `${r.stdout}${r.stderr}`.trim();
}

/** Checks the tools and decides which server groups can run; returns { skip: Map(group -> why), versions }. */
function preflight() {
  if (process.platform !== 'linux' || !existsSync('/proc/self/status')) fail('needs Linux (/proc and taskset)');
  const versions = { node: process.version };
  const skip = new Map();
  const wrk = has('wrk', ['-v']);
  if (!wrk) fail(`wrk is not installed. Install it with:\n  ${APT}`);
  versions.wrk = wrk.split('\n')[0];
  const nginx = has('nginx', ['-v']);
  if (!nginx) {
    skip.set('nginx', 'nginx is not installed');
    log(`bench: nginx is not installed, so the native reference is skipped. Install it with:\n  ${APT}`);
  } else versions.nginx = nginx.split('\n')[0];
  if (!existsSync(join(BENCH, 'node_modules', 'express'))) fail('the peers are not installed: run `npm --prefix bench install` in the root');
  for (const pkg of ['express', 'sirv', 'serve-handler', 'superstatic', 'fastify', '@fastify/static']) {
    versions[pkg] = JSON.parse(readFileSync(join(BENCH, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  }
  const why = appyamlMissing(join(ROOT, 'dist'));
  if (why) {
    skip.set('appyaml', why);
    log(`bench: appyaml is skipped: ${why}`);
  } else versions.appyaml = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  return { skip, versions };
}

/** Why appyaml cannot be measured (undefined when <distDir>/index.js exports appYaml). Checked in a child. */
function appyamlMissing(distDir) {
  const dist = join(distDir, 'index.js');
  if (!existsSync(dist)) return 'dist/index.js does not exist (run `npm run build` in the root)';
  const code = 'const m = await import(process.argv[1]); process.exit(typeof m.appYaml === "function" ? 0 : 3);';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, pathToFileURL(dist).href], { encoding: 'utf8', timeout: 20000 });
  if (r.status === 3) return 'dist/index.js does not export appYaml yet (the static handler is not built)';
  if (r.status !== 0) return `dist/index.js failed to load: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 3).join(' ')}`;
  return undefined;
}

// ---------------------------------------------------------------- servers

/**
 * The appyaml build measured: a copy of dist/ taken at the start, so that a rebuild by someone
 * else during the run (tsup cleans dist/ first) cannot mix two builds in one table. The copy sits
 * in the fixtures' temp dir next to a `node_modules` link to the root's, so its imports resolve
 * exactly as they do from dist/.
 */
let appyamlSnapshot;
function snapshotAppyaml(tempDir) {
  const dir = join(tempDir, 'appyaml');
  const dist = join(dir, 'dist');
  cpSync(join(ROOT, 'dist'), dist, { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const why = appyamlMissing(dist);
  if (why) throw new Error(`the copy of dist/ does not load (${why}); was it being rebuilt? Try again.`);
  appyamlSnapshot = dist;
  return { builtAt: statSync(join(ROOT, 'dist', 'index.js')).mtime };
}

async function startServer(srv, fixtures, pin) {
  const port = await freePort();
  const root = fixtures[srv.root];
  const proc = start(process.execPath, [join(BENCH, 'servers', srv.script), '--root', root, '--port', String(port)], {
    core: pin ? SERVER_CORE : undefined,
    cwd: BENCH,
    // Anything an adapter writes goes with the fixtures; the build measured is the snapshot.
    env: { NODE_ENV: 'production', TMPDIR: fixtures.dir, ...(appyamlSnapshot && { APPYAML_DIST: pathToFileURL(join(appyamlSnapshot, 'index.js')).href }) },
    stdout: 'ignore',
  });
  await waitReady(proc);
  return { ...proc, port, server: srv };
}

/**
 * A freshly started Node server runs its first requests in V8's interpreter: without this, the
 * first scenario of every round would measure the warm-up. For one unmeasured second, wrk cycles
 * through the 1,000 small files (the lookup and send path every scenario uses), or asks for the
 * 1 KB file when the server only takes part in the 1 KB comparison (the 100-handler app).
 */
async function warmServer(inst, ctx) {
  const many = inst.server.root === 'app';
  const r = await runWrk({
    url: `http://127.0.0.1:${inst.port}${many ? ctx.fixtures.many[0].path : '/static/1k.txt'}`,
    duration: ctx.warmSeconds,
    script: many ? ctx.fixtures.manyLua : REPORT_LUA,
    core: ctx.pin ? LOAD_CORE : undefined,
  });
  log(`  [round ${ctx.round}] started  ${inst.server.name.padEnd(18)} port ${inst.port}, warmed with ${r.requests.toLocaleString('en-US')} requests in ${ctx.warmSeconds} s`);
}

// ---------------------------------------------------------------- one measurement

const sameBody = (res, expected) => res.body.length === expected.length && res.body.equals(expected);

/**
 * Checks that the server answers this scenario correctly and returns what wrk needs:
 * { path, headers, script, validator, expect } (expect = the status every answer must have).
 */
async function prepare(sc, port, fixtures) {
  if (sc.kind === 'get') {
    const r = await request(port, sc.path);
    if (r.status !== 200 || !sameBody(r, fixtures.files[sc.path])) throw new Error(`GET ${sc.path}: ${r.status}, ${r.body.length} bytes instead of 200, ${fixtures.files[sc.path].length}`);
    return { path: sc.path, headers: [], script: REPORT_LUA, expect: 200 };
  }
  if (sc.kind === 'conditional') {
    const r = await request(port, sc.path);
    if (r.status !== 200 || !sameBody(r, fixtures.files[sc.path])) throw new Error(`GET ${sc.path}: ${r.status}`);
    const tried = [];
    const candidates = [];
    if (r.headers.etag) candidates.push({ validator: 'ETag', header: 'If-None-Match', value: r.headers.etag });
    if (r.headers['last-modified']) candidates.push({ validator: 'Last-Modified', header: 'If-Modified-Since', value: r.headers['last-modified'] });
    for (const c of candidates) {
      const c304 = await request(port, sc.path, { headers: { [c.header]: c.value } });
      if (c304.status === 304 && c304.body.length === 0) {
        return { path: sc.path, headers: [`${c.header}: ${c.value}`], script: REPORT_LUA, expect: 304, validator: c.validator };
      }
      tried.push(`${c.header} → ${c304.status}`);
    }
    const e = new Error(`no 304: ${tried.length ? tried.join(', ') : 'neither ETag nor Last-Modified sent'}`);
    e.validator = 'none';
    throw e;
  }
  if (sc.kind === 'many') {
    let wrong = 0;
    let first;
    for (let i = 0; i < fixtures.many.length; i += 50) {
      const batch = fixtures.many.slice(i, i + 50);
      const answers = await Promise.all(batch.map((m) => request(port, m.path)));
      answers.forEach((a, j) => {
        if (a.status !== 200 || a.body.length !== batch[j].size) {
          wrong++;
          first ??= `${batch[j].path}: ${a.status}, ${a.body.length} bytes`;
        }
      });
    }
    if (wrong) throw new Error(`${wrong} of ${fixtures.many.length} files answered wrong (first: ${first})`);
    return { path: fixtures.many[0].path, headers: [], script: fixtures.manyLua, expect: 200 };
  }
  if (sc.kind === 'miss') {
    const r = await request(port, sc.path);
    if (r.status !== 404) throw new Error(`GET ${sc.path}: ${r.status} instead of 404`);
    return { path: sc.path, headers: [], script: REPORT_LUA, expect: 404 };
  }
  throw new Error(`unknown scenario kind ${sc.kind}`);
}

/** Why a wrk run cannot be trusted, or undefined. */
function problemWith(result, prep, sc, fixtures) {
  const { requests, bytes, errors } = result;
  if (!requests) return 'no request completed';
  const sock = errors.connect + errors.read + errors.write + errors.timeout;
  if (sock > requests * 0.001) return `${sock} socket errors (connect ${errors.connect}, read ${errors.read}, write ${errors.write}, timeout ${errors.timeout})`;
  if (prep.expect === 404) {
    if (errors.status !== requests) return `${requests - errors.status} of ${requests} answers were not 4xx`;
  } else if (errors.status > 0) {
    return `${errors.status} of ${requests} answers were 4xx/5xx`;
  }
  const perRequest = bytes / requests;
  if (sc.kind === 'get' && perRequest < fixtures.files[sc.path].length) return `only ${Math.round(perRequest)} bytes per answer`;
  if (sc.kind === 'conditional' && perRequest >= fixtures.files[sc.path].length) return `${Math.round(perRequest)} bytes per answer: bodies sent instead of 304`;
  return undefined;
}

const exited = (inst) => inst.child.exitCode !== null || inst.child.signalCode !== null;

/** The child's last words: its first error line (an uncaught exception's message), else its last line. */
function exitReason(inst) {
  const lines = inst.output().split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^(\w*Error|Uncaught|node:internal)|Error \[|Error:/.test(l) && !l.startsWith('at '));
  const status = inst.child.signalCode ? `signal ${inst.child.signalCode}` : `exit code ${inst.child.exitCode}`;
  return `${status}: ${error ?? lines.at(-1) ?? 'no output'}`;
}

async function measure(sc, inst, ctx) {
  const rec = { round: ctx.round, scenario: sc.name, server: inst.server.name, valid: false };
  try {
    if (exited(inst)) throw new Error(`server had exited (${exitReason(inst)})`);
    const prep = await prepare(sc, inst.port, ctx.fixtures);
    rec.validator = prep.validator;
    const headers = Object.fromEntries(prep.headers.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()]));
    const paths = sc.kind === 'many' ? ctx.fixtures.many.map((m) => m.path) : [prep.path];
    const warmBad = await warmUp(inst.port, paths, { headers, expect: prep.expect });
    if (warmBad) throw new Error(`${warmBad} warm-up answers were not ${prep.expect}`);
    const cpu = cpuSample(inst.child.pid);
    const result = await runWrk({
      url: `http://127.0.0.1:${inst.port}${prep.path}`,
      duration: ctx.duration,
      headers: prep.headers,
      script: prep.script,
      core: ctx.pin ? LOAD_CORE : undefined,
    });
    Object.assign(rec, result, { cpu: cpu() });
    if (exited(inst)) throw new Error(`server exited during the run (${exitReason(inst)})`);
    rec.problem = problemWith(result, prep, sc, ctx.fixtures);
    rec.valid = !rec.problem;
  } catch (err) {
    rec.problem = err.message.split('\n')[0];
    if (err.validator) rec.validator = err.validator;
  }
  const what = rec.valid
    ? `${Math.round(rec.rps).toLocaleString('en-US')} req/s, p99 ${(rec.latency_us.p99 / 1000).toFixed(2)} ms` +
      ` (server ${rec.cpu.server.toFixed(2)} cores, other work ${Math.max(rec.cpu.foreign0, rec.cpu.foreign1).toFixed(2)})`
    : `thrown out: ${rec.problem}`;
  log(`  [round ${ctx.round}] ${sc.name.padEnd(8)} ${inst.server.name.padEnd(18)} ${what}`);
  return rec;
}

/**
 * Other work on the machine during a run: the share of core 0 that the server did not use, and
 * of core 1 that wrk and this script did not use (in cores; 0 on a quiet machine).
 */
const contention = (cpu) => (cpu ? Math.max(cpu.foreign0, cpu.foreign1) : 0);
const CONTENDED = 0.15;

/**
 * Between measurements every server is idle, so whatever keeps a core busy is other work. Waits
 * (in 1 s steps, up to 20 s at a time and 5 minutes over the whole run) until both cores are
 * under CONTENDED; then measures anyway.
 */
async function waitForQuiet(ctx) {
  let busy = await machineBusy(200);
  const started = Date.now();
  let logged = false;
  while (Object.values(busy).some((b) => b > CONTENDED) && Date.now() - started < 20000 && Date.now() - started < ctx.waitBudgetMs) {
    if (!logged) log(`  [round ${ctx.round}] waiting for other work to stop (${Object.entries(busy).map(([c, b]) => `core ${c} ${Math.round(b * 100)}%`).join(', ')})`);
    logged = true;
    await sleep(800);
    busy = await machineBusy(200);
  }
  ctx.waitBudgetMs -= Date.now() - started;
  ctx.waitedMs += Date.now() - started;
}

/**
 * measure(), repeated (at most twice, within a retry budget for the whole run) when other work
 * took a share of the server's or wrk's core. Of the attempts, the least contended valid one is
 * kept: the choice looks at the CPU accounting only, never at the result.
 */
async function measureQuietly(sc, inst, ctx) {
  await waitForQuiet(ctx);
  const attempts = [await measure(sc, inst, ctx)];
  let best = attempts[0];
  while (best.valid && contention(best.cpu) > CONTENDED && attempts.length < 3 && ctx.retryBudget > 0) {
    ctx.retryBudget--;
    log(`  [round ${ctx.round}] ${sc.name.padEnd(8)} ${inst.server.name.padEnd(18)} other work took ${contention(best.cpu).toFixed(2)} cores; measuring again`);
    await waitForQuiet(ctx);
    attempts.push(await measure(sc, inst, ctx));
    best = attempts.filter((a) => a.valid).sort((a, b) => contention(a.cpu) - contention(b.cpu))[0] ?? attempts.at(-1);
  }
  best.contention = contention(best.cpu);
  best.attempts = attempts.length;
  if (attempts.length > 1) best.otherAttempts = attempts.filter((a) => a !== best).map(({ rps, cpu, problem }) => ({ rps, cpu, problem }));
  return best;
}

async function measureRssOf(inst, ctx) {
  const rec = { round: ctx.round, server: inst.server.name };
  try {
    const comm = readFileSync(`/proc/${inst.child.pid}/comm`, 'utf8').trim();
    if (comm !== 'node') throw new Error(`pid ${inst.child.pid} is "${comm}", not the node server`);
    Object.assign(rec, await measureRss(inst.child.pid, inst.port, ctx.fixtures.big));
    log(`  [round ${ctx.round}] rss      ${inst.server.name.padEnd(18)} ${(rec.before / 1e6).toFixed(1)} MB → peak ${(rec.peak / 1e6).toFixed(1)} MB (+${(rec.growth / 1e6).toFixed(1)})`);
  } catch (err) {
    rec.problem = err.message.split('\n')[0];
    log(`  [round ${ctx.round}] rss      ${inst.server.name.padEnd(18)} thrown out: ${rec.problem}`);
  }
  return rec;
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = options();
  const { skip, versions } = preflight();
  const pin = canPin() && cpus().length >= 2;
  if (!pin) log('bench: cannot pin to two cores (taskset missing or one CPU); numbers will be noisier');
  else if (!pinSelf(LOAD_CORE)) log('bench: could not pin the orchestrator to core 1');

  const onlyServers = opts.only.filter((n) => SERVERS.some((s) => s.name === n));
  const onlyScenarios = opts.only.filter((n) => SCENARIOS.some((s) => s.name === n));
  const scenarios = SCENARIOS.filter((s) => !onlyScenarios.length || onlyScenarios.includes(s.name));
  const wanted = SERVERS.filter(
    (s) => (!onlyServers.length || onlyServers.includes(s.name) || (s.only && onlyServers.some((n) => s.name.startsWith(n)))) && scenarios.some((sc) => takesPart(s, sc)),
  );
  const servers = wanted.filter((s) => !skip.has(s.group));
  const skipped = wanted.filter((s) => skip.has(s.group)).map((s) => ({ server: s.name, why: skip.get(s.group) }));
  if (!servers.length) fail('nothing to run');

  const idle = await machineBusy(1000);
  const busyText = Object.entries(idle).map(([c, b]) => `core ${c} ${Math.round(b * 100)}%`).join(', ');
  log(`bench: before starting, the machine is busy: ${busyText}${Object.values(idle).some((b) => b > 0.1) ? ' (other work is running; expect noise)' : ''}`);

  const fixtures = makeFixtures(REPORT_LUA);
  installCleanup(() => fixtures.remove());
  if (servers.some((s) => s.group === 'appyaml')) {
    try {
      versions.appyamlBuiltAt = snapshotAppyaml(fixtures.dir).builtAt.toISOString();
    } catch (err) {
      fixtures.remove();
      throw err;
    }
  }
  const wrkCount = scenarios.filter((s) => s.kind !== 'rss').reduce((n, sc) => n + servers.filter((s) => takesPart(s, sc)).length, 0);
  log(
    `bench: ${servers.length} servers, ${scenarios.length} scenarios, ${opts.rounds} round(s) of ${wrkCount} wrk runs × ${opts.duration} s` +
      ` (about ${Math.ceil((opts.rounds * (wrkCount * (opts.duration + 0.6) + servers.length * 2)) / 60)} min); fixtures in ${fixtures.dir}`,
  );

  const startedAt = new Date();
  const measurements = [];
  const rssRuns = [];
  const ctx = { fixtures, duration: opts.duration, warmSeconds: 1, pin, retryBudget: Math.ceil(0.15 * opts.rounds * wrkCount), waitBudgetMs: 5 * 60 * 1000, waitedMs: 0 };
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      ctx.round = round;
      log(`round ${round}/${opts.rounds}`);
      // Rotate the order every round so no server always runs first or last.
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]);
      const live = new Map();
      try {
        for (const srv of order) {
          let inst;
          try {
            inst = await startServer(srv, fixtures, pin);
            await warmServer(inst, ctx);
            live.set(srv.name, inst);
          } catch (err) {
            if (inst) await stop(inst);
            log(`  [round ${round}] ${srv.name} did not start: ${err.message}`);
            for (const sc of scenarios.filter((s) => s.kind !== 'rss' && takesPart(srv, s))) {
              measurements.push({ round, scenario: sc.name, server: srv.name, valid: false, problem: `did not start: ${err.message.split('\n')[0]}` });
            }
          }
        }
        for (const sc of scenarios) {
          for (const srv of order.filter((s) => takesPart(s, sc) && live.has(s.name))) {
            let inst = live.get(srv.name);
            if (exited(inst)) {
              // It crashed in an earlier scenario (recorded there): a fresh one for the rest of the round.
              log(`  [round ${round}] restart  ${srv.name} (${exitReason(inst)})`);
              try {
                inst = await startServer(srv, fixtures, pin);
                live.set(srv.name, inst);
                await warmServer(inst, ctx);
              } catch (err) {
                log(`  [round ${round}] ${srv.name} did not restart: ${err.message.split('\n')[0]}`);
              }
            }
            if (sc.kind === 'rss') {
              if (srv.rss) rssRuns.push(await measureRssOf(inst, ctx));
            } else {
              measurements.push(await measureQuietly(sc, inst, ctx));
              await sleep(100);
            }
          }
        }
      } finally {
        await Promise.all([...live.values()].map((inst) => stop(inst)));
      }
    }
  } finally {
    fixtures.remove();
  }

  const cells = summarize(measurements);
  const rss = summarizeRss(rssRuns);
  const targets = judgeTargets(cells, rss);
  const shown = SERVERS.filter((s) => servers.includes(s));
  const tables = renderTables({ cells, rss, targets, servers: shown, scenarios });
  const command = `node bench/run.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const kept = measurements.filter((m) => m.cpu);
  const shares = kept.map((m) => m.contention);
  const contentionText = kept.length
    ? `Other work on the two cores during the kept measurements: median ${median(shares).toFixed(2)} cores, max ${Math.max(...shares).toFixed(2)};` +
      ` ${plural(kept.filter((m) => m.attempts > 1).length, 'measurement was', 'measurements were')} repeated for it, ${shares.filter((c) => c > CONTENDED).length} kept above ${CONTENDED} cores;` +
      ` ${Math.round(ctx.waitedMs / 1000)} s spent waiting for it to stop; busy before the start: ${busyText}`
    : '';
  const header = [
    `Command: \`${command}\` (${opts.rounds} round(s), ${opts.duration} s per measurement, wrk -t1 -c50)`,
    `Date: ${startedAt.toISOString()}; Node ${process.version}; ${cpus().length} cores (${cpu}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; ${versions.wrk}; ${versions.nginx ?? 'no nginx'}`,
    versions.appyaml ? `appyaml ${versions.appyaml}, dist/ built ${versions.appyamlBuiltAt}` : '',
    `Pinning: ${pin ? `servers on core ${SERVER_CORE}, wrk on core ${LOAD_CORE}` : 'none'}`,
    contentionText,
    ...skipped.map((s) => `Skipped ${s.server}: ${s.why}`),
  ]
    .filter(Boolean)
    .join('\n');
  const text = `${header}\n\n${tables}\n`;

  const resultsDir = join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { command, startedAt, finishedAt: new Date(), options: opts, busyBeforeStart: idle, waitedForQuietMs: ctx.waitedMs, machine: { cpus: cpus().length, cpu, totalmem: totalmem() }, versions, pinned: pin, skipped, measurements, rss: rssRuns, summary: { cells, rss }, targets, table: text },
      null,
      2,
    ),
  );
  process.stdout.write(text);
  log(`\nraw results: ${file}`);
}

main().catch((err) => {
  log(`bench: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
