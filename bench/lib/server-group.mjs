// Servers for the backend benchmarks (bench/wsgi, bench/cgi, bench/proxy): each runs pinned with
// taskset in its own process group, so that gunicorn's workers, appyaml's bridges and CGI
// scripts stop with it, and none outlives the benchmark, however it ends.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const groups = new Set();
process.on('exit', () => {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

/** The status of `GET /` on 127.0.0.1:`port`, or 0 when nothing answers. */
export function statusOf(port) {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', () => resolve(0));
  });
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to stop.
  }
}

/**
 * Starts `command` pinned to `cores` in its own process group; resolves with its pid and `stop`
 * (SIGTERM to the group, SIGKILL 5 s later) once `port` answers 200.
 */
export async function startGroup(name, command, port, { cores, cwd } = {}) {
  const child = spawn('taskset', ['-c', cores, ...command], { stdio: ['ignore', 'ignore', 'inherit'], detached: true, cwd });
  groups.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    groups.delete(child.pid);
  };
  for (let i = 0; i < 300 && (await statusOf(port)) !== 200; i++) await sleep(50);
  if ((await statusOf(port)) !== 200) {
    await stop();
    throw new Error(`${name} did not start`);
  }
  return { pid: child.pid, stop };
}
