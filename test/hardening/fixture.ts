/**
 * Builds the hostile-input fixtures in temp dirs and serves them the way `appyaml serve` does:
 * appYaml() on node:http behind configureServer, with serve's own answers when next() is reached
 * (App Engine's 404 page, 501 for a script handler no backend runs).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { appYaml, type AppYamlOptions } from '../../lib/app-yaml.js';
import { internalError, noHandler } from '../../lib/cli/not-found.js';
import { configureServer } from '../../lib/envelope/server.js';
import { PYTHON } from '../backends/harness.js';
import { CGI_FILES, FLEX_SERVER_PY, MAIN_PY, MARKERS, appYamlText, flexAppYaml } from './fixture-files.js';

export { PYTHON } from '../backends/harness.js';

export interface Fixture {
  /** The app folder. */
  root: string;
  /** Where the apps write pid files (`HARDEN_STATE`). */
  state: string;
  /** Every folder created, removed by `remove()`. */
  remove(): void;
}

type Entry = string | Buffer | { link: string };

/** Writes the fixture app: allowed files, refused files holding markers, symlinks in and out of the root. */
export function buildFixture(): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'appyaml-harden-'));
  const root = join(base, 'app');
  const state = join(base, 'state');
  // A sibling whose name extends the root's: a bare prefix check would take it as inside (rule 2).
  const sibling = `${root}-secret`;
  const outside = join(base, 'outside');
  for (const dir of [root, state, sibling, outside]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), MARKERS.outside);
  writeFileSync(join(sibling, 'secret.txt'), MARKERS.sibling);
  const files: Record<string, Entry> = {
    'app.yaml': appYamlText(state),
    'main.py': MAIN_PY,
    ...CGI_FILES,
    '.env': MARKERS.dotfile,
    'private/secret.txt': MARKERS.notUploaded,
    'static/ok.txt': 'ok file',
    'static/a..b.txt': 'two dots inside',
    'static/a?b.txt': 'question mark',
    'static/%2e%2e': 'literal percent name',
    'static/sub/x.txt': 'sub x',
    'static/sub/.hidden/x.txt': MARKERS.dotfile,
    'static/.env': MARKERS.dotfile,
    'static/.ENV': MARKERS.dotfile,
    'static/.git/config': MARKERS.dotfile,
    'static/notes.txt~': MARKERS.skipped,
    'static/mod.pyc': MARKERS.skipped,
    'static/mod.pyo': MARKERS.skipped,
    'static/RCS/x.txt': MARKERS.skipped,
    'static/img/logo.png': 'PNG bytes',
    'static/big.bin': Buffer.alloc(4 * 1024 * 1024, 0x62),
    'static/l': { link: 'ok.txt' },
    'static/l2': { link: '../static/sub/x.txt' },
    'static/d': { link: '/' },
    'static/out': { link: join(outside, 'secret.txt') },
    'static/outdir': { link: outside },
    'static/prefix': { link: `../../${basename(sibling)}/secret.txt` },
    'static/prefixdir': { link: `../../${basename(sibling)}` },
    'static/dotenv': { link: '../.env' },
    'static/root': { link: '..' },
    'static/loop': { link: '.' },
  };
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) symlinkSync(content.link, abs);
    else writeFileSync(abs, content);
  }
  return { root, state, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** A flex app (`env: flex`) running `entrypoint` (by default a deliberately broken HTTP server); `yaml` lines are appended to app.yaml. */
export function buildFlexFixture(entrypoint = `${PYTHON} server.py`, ...yaml: string[]): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'appyaml-harden-flex-'));
  const root = join(base, 'app');
  mkdirSync(root);
  writeFileSync(join(root, 'app.yaml'), flexAppYaml(entrypoint) + yaml.map((line) => `${line}\n`).join(''));
  writeFileSync(join(root, 'server.py'), FLEX_SERVER_PY);
  return { root, state: base, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** A pid an app wrote to the state folder, once it exists. */
export function readPid(state: string, name: string): number | undefined {
  try {
    const text = readFileSync(join(state, name), 'utf8');
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

/** True while `pid` is a process (zombies excluded: they have exited and only wait to be reaped). */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Live processes whose command line mentions `text` (the fixture root: bridges, CGI children). */
export function processesMentioning(text: string): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', text], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out.split('\n').filter(Boolean).map(Number).filter((pid) => pid !== process.pid && alive(pid));
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface Served {
  port: number;
  close(): Promise<void>;
}

/** Serves `root` as `appyaml serve` does (its own next() answers), with a test-sized deadline; `options` override. */
export async function serveFixture(root: string, options: Partial<AppYamlOptions> = {}): Promise<Served> {
  const middleware = appYaml({ root, python: PYTHON, logger: false, deadline: 4000, deadlineGrace: 500, maxInstances: 3, ...options });
  const server = configureServer(createServer((req, res) => middleware(req, res, (err) => (err ? internalError(res) : noHandler(req, res)))));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await middleware.close();
    },
  };
}
