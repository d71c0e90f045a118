/** `appyaml serve` (runServe) in a child process, serving examples/static-site. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { runServe } from '../../lib/cli/serve.js';
import { fetchPath, makeApp, rawRequest, removeDir } from './helpers.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = fileURLToPath(new URL('../../lib/cli/serve.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

/** Runs `runServe(args)` in a child, optionally from another directory; its exit code is runServe's result. */
function serve(args: string[], options: { env?: Record<string, string>; chdir?: string } = {}): Child {
  const chdir = options.chdir ? `process.chdir(${JSON.stringify(options.chdir)});` : '';
  const script = `import { runServe } from ${JSON.stringify(SERVE)}; ${chdir} process.exitCode = await runServe(${JSON.stringify(args)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exit = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  children.push(child);
  return { process: child, output: () => output, exit };
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** runServe in this process, with what it writes to stderr. */
async function capture(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { code: await runServe(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

async function waitForUrl(child: Child): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(child.output());
    if (m) return Number(m[1]);
    if (child.process.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no URL printed: ${child.output()}`);
}

describe('appyaml serve', { timeout: 20000 }, () => {
  it('serves the example site, answers unmatched urls with the App Engine page, and stops on SIGTERM', async () => {
    const child = serve(['examples/static-site', '--port', '0']);
    const port = await waitForUrl(child);

    const home = await fetchPath(port, '/');
    assert.equal(home.status, 200);
    assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(home.headers['cache-control'], 'public, max-age=300');
    assert.match(home.body.toString(), /<link rel="stylesheet" href="\/assets\/css\/site\.css">/);

    const css = await fetchPath(port, '/assets/css/site.css');
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.headers['cache-control'], 'public, max-age=2592000');
    assert.equal(css.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal((await fetchPath(port, '/assets/js/site.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await fetchPath(port, '/favicon.ico')).headers['content-type'], 'image/vnd.microsoft.icon');
    assert.equal((await fetchPath(port, '/assets/css/site.css', { headers: { 'If-None-Match': String(css.headers.etag) } })).status, 304);

    const missing = await rawRequest(port, '/no/<b>"x"</b>');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(
      missing.body.toString(),
      '<html><head><title>Not Found</title></head><body>The url "/no/&lt;b&gt;&quot;x&quot;&lt;/b&gt;" does not match any handlers.</body></html>',
    );
    assert.equal((await fetchPath(port, '/assets/')).status, 404);
    assert.equal((await fetchPath(port, '/assets/')).body.toString(), 'Not Found\n');

    child.process.kill('SIGTERM');
    assert.equal(await child.exit, 0);
  });

  it('takes the port from $PORT and the folder from the current directory', async () => {
    const app = makeApp({ 'app.yaml': 'runtime: python312\nhandlers:\n- url: /a\n  static_files: a.txt\n  upload: a\\.txt\n', 'a.txt': 'from cwd' });
    try {
      const child = serve([], { env: { PORT: '0' }, chdir: app });
      const port = await waitForUrl(child);
      assert.equal((await fetchPath(port, '/a')).body.toString(), 'from cwd');
      child.process.kill('SIGINT');
      assert.equal(await child.exit, 0);
    } finally {
      removeDir(app);
    }
  });

  it('returns 2 on bad arguments and 1 on an invalid app.yaml, without listening', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--port', 'eighty'], 2, /invalid port "eighty"/],
      [['--port', '70000'], 2, /invalid port "70000"/],
      [['a', 'b'], 2, /one app folder at most/],
      [['--bogus'], 2, /Unknown option '--bogus'/],
      [['--cgi-mode', 'fork'], 2, /--cgi-mode is cached or spawn, not "fork"/],
    ];
    const app = makeApp({ 'app.yaml': 'runtime: python312\nhandlers:\n- url: /x\n  static_dir: /abs\n' });
    cases.push([[app, '--port', '0'], 1, /static_dir must be relative/]);
    try {
      for (const [args, code, message] of cases) {
        const result = await capture(args);
        assert.equal(result.code, code, args.join(' '));
        assert.match(result.stderr, message);
      }
    } finally {
      removeDir(app);
    }
  });
});
