/** Starts serve-child.ts, lowers its fd limit on demand, and reads its RSS and fds from /proc. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openFds } from './fixture.js';

const SCRIPT = fileURLToPath(new URL('./serve-child.ts', import.meta.url));

export interface ChildServer {
  pid: number;
  port: number;
  /** Lines the child wrote to stderr (crashes show here). */
  stderr(): string;
  /** True until the child exits. */
  running(): boolean;
  /** Open fds of the server process. */
  fds(): number;
  /** Resident set size of the server process, bytes. */
  rss(): number;
  /**
   * Lowers the server's `ulimit -n` (soft and hard) to `limit` with prlimit(1). Done once it
   * listens: under 64 from the start, tsx's loading of the sources itself runs out (EMFILE).
   */
  limitFds(limit: number): void;
  /** SIGTERM (the child closes its backends), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Serves the fixture at `root` with appYaml() `options` in a child process. */
export async function startChild(root: string, options: Record<string, unknown> = {}): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT, root, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  let exited = false;
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  const closed = new Promise<void>((done) => child.once('exit', () => ((exited = true), done())));
  const port = await new Promise<number>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`the server did not start: ${errors}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) {
        clearTimeout(timer);
        ok((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', () => fail(new Error(`the server exited before listening: ${errors}`)));
  });
  const pid = child.pid!;
  return {
    pid,
    port,
    stderr: () => errors,
    running: () => !exited,
    fds: () => openFds(pid),
    limitFds(limit) {
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`]);
      const applied = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];
      if (Number(applied) !== limit) throw new Error(`prlimit left the fd limit at ${applied}`);
    },
    rss: () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
