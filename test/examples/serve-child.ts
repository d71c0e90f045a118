/**
 * `appyaml serve` as a child process (lib/cli/main.ts through tsx), for the example and browser
 * tests: started on a free port with its own temp folder, stopped (and, failing that, killed)
 * by `stop()`. Every child started is killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ServeChild {
  port: number;
  url: string;
  /** The temp folder given to the child as TMPDIR (the guestbook keeps its entries there). */
  tmp: string;
  /** Everything the child printed so far. */
  output(): string;
  /** SIGINT, then the exit code; SIGKILL if it has not exited within 10 s. */
  stop(): Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `appyaml serve <args> --port 0` and resolves once it prints the URL it serves. */
export async function serveChild(args: string[], env: Record<string, string> = {}): Promise<ServeChild> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'appyaml-example-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'serve', ...args, '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (live.delete(child), resolve(code))));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    rmSync(tmp, { recursive: true, force: true });
    return code;
  };
  const port = await new Promise<number>((resolve, reject) => {
    const look = () => {
      const m = /serving .* at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (m) return resolve(Number(m[1]));
      if (child.exitCode !== null) return reject(new Error(`appyaml serve exited ${child.exitCode}: ${output}`));
      setTimeout(look, 50);
    };
    look();
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { port, url: `http://127.0.0.1:${port}/`, tmp, output: () => output, stop };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request over a fresh connection; the body is not decoded (no Accept-Encoding unless given). */
export function request(port: number, target: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until `done()` holds (sync or async), checking every 50 ms, up to `limit` ms: for what follows a file edit or a response. */
export async function eventually(done: () => boolean | Promise<boolean>, limit = 5000): Promise<void> {
  for (let waited = 0; !(await done()); waited += 50) {
    if (waited >= limit) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}
