// Child processes for the benchmark: every child is spawned as the leader of its own process
// group (detached), so stopping it also stops what it started (nginx's workers, wrk's threads).
// Every live group is remembered and killed on normal exit, on an exception and on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

const live = new Set();
let shuttingDown = false; // set on Ctrl-C: no new child may start

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills every child group now (synchronous, safe in 'exit' and signal handlers). */
export function killAllNow() {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
}

let installed = false;
/**
 * Makes Ctrl-C, SIGTERM and process exit stop every child group. On a signal the groups get
 * SIGTERM first (so wrappers such as the nginx adapter can clean up), then SIGKILL after 1.5 s.
 * `cleanup` runs once, synchronously, after the children are gone.
 */
export function installCleanup(cleanup = () => {}) {
  if (installed) return;
  installed = true;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    killAllNow();
    try {
      cleanup();
    } catch {
      // best effort
    }
  };
  process.on('exit', finish);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      const code = sig === 'SIGINT' ? 130 : 143;
      if (stopping) process.exit(code); // a second Ctrl-C: kill at once (via 'exit')
      stopping = true;
      shuttingDown = true;
      process.stderr.write(`\n${sig}: stopping every child process\n`);
      for (const child of live) killGroup(child, 'SIGTERM');
      const deadline = Date.now() + 1500;
      const poll = setInterval(() => {
        if (live.size === 0 || Date.now() > deadline) {
          clearInterval(poll);
          process.exit(code);
        }
      }, 50);
    });
  }
}

/** Whether `taskset` can pin to cores 0 and 1 on this machine. */
export function canPin() {
  const r = spawnSync('taskset', ['-c', '0,1', 'true']);
  return r.status === 0;
}

/** Pins this process (all its threads) to `core`; returns false when that is not possible. */
export function pinSelf(core) {
  const r = spawnSync('taskset', ['-a', '-cp', String(core), String(process.pid)]);
  return r.status === 0;
}

/**
 * Starts `cmd args` in its own process group, pinned to `core` when given. `stdout: 'ignore'`
 * sends its stdout to /dev/null. Returns { child, output() }, output() being the captured
 * stdout and stderr (last 8 KB).
 */
export function start(cmd, args, { core, env, cwd, stdout = 'pipe' } = {}) {
  if (shuttingDown) throw new Error('stopping: no new child processes');
  const [file, argv] = core === undefined ? [cmd, args] : ['taskset', ['-c', String(core), cmd, ...args]];
  // stdin is a pipe nobody writes to: when this process dies, even by SIGKILL, the pipe closes
  // and the adapters (lib/adapter.mjs) exit on their own.
  const child = spawn(file, argv, { detached: true, stdio: ['pipe', stdout, 'pipe'], env: { ...process.env, ...env }, cwd });
  live.add(child);
  let text = '';
  const keep = (chunk) => {
    text = (text + chunk).slice(-8192);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      live.delete(child);
      keep(`\n${err.message}`);
      resolve({ code: -1, signal: null, error: err });
    });
  });
  return { child, output: () => text };
}

/** Waits for a line equal to "ready" on the child's stderr; rejects on exit or after timeoutMs. */
export async function waitReady(proc, timeoutMs = 20000) {
  const { child } = proc;
  let buffered = '';
  let onData;
  const ready = new Promise((resolve) => {
    onData = (chunk) => {
      buffered += chunk;
      if (buffered.split('\n').some((line) => line.trim() === 'ready')) resolve('ready');
    };
    child.stderr.on('data', onData);
  });
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([ready, timeout, child.exited.then(() => 'exited')]);
  clearTimeout(timer);
  child.stderr.off('data', onData);
  if (outcome !== 'ready') {
    await stop(proc);
    throw new Error(`${outcome === 'timeout' ? `no "ready" within ${timeoutMs} ms` : 'exited before "ready"'}:\n${proc.output().trim()}`);
  }
}

/** Stops the child's whole process group: SIGTERM, then SIGKILL after graceMs. */
export async function stop(proc, graceMs = 3000) {
  const { child } = proc;
  if (!live.has(child)) return;
  killGroup(child, 'SIGTERM');
  let timer;
  const timedOut = await Promise.race([
    child.exited.then(() => false),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    killGroup(child, 'SIGKILL');
    await child.exited;
  }
  // The leader is gone; make sure nothing else in its group survived.
  killGroup(child, 'SIGKILL');
}

/** Runs a command to completion with a hard time limit; resolves { code, stdout, stderr, timedOut }. */
export async function run(cmd, args, { core, timeoutMs }) {
  const proc = start(cmd, args, { core });
  let stdout = '';
  let stderr = '';
  proc.child.stdout.on('data', (c) => (stdout += c));
  proc.child.stderr.on('data', (c) => (stderr += c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(proc.child, 'SIGKILL');
  }, timeoutMs);
  const { code } = await proc.child.exited;
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}
