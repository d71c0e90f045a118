/**
 * `appyaml check` and `appyaml routes`, run as child processes (lib/cli/main.ts through tsx).
 * All runs start together in `before`, so the file costs about one Node start-up.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { appDir, py27, yaml } from '../helpers/app-dir.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

const valid = appDir({
  'app.yaml': py27(
    'handlers:', //                                   3
    '- url: /static', //                              4
    '  static_dir: static',
    '  expiration: 1h',
    '- url: /app/.*', //                              7
    '  script: main.app',
    '  login: admin',
    '- url: /(.*)/(.*)', //                           10
    '  static_files: static/\\1/subdir/\\2',
    '  upload: static/.*',
  ),
});
const invalid = appDir({
  'app.yaml': py27(
    'handlers:',
    '- url: foo', //                                  4, url value at column 8
    '  script: main.app',
    '- url: /s', //                                   6
    '  static_dir: ../../etc', //                     7, value at column 15
  ),
});
const validFile = path.join(valid, 'app.yaml');
/** A python3 app with a .gcloudignore (including .gitignore) and one file over 32 MB (sparse). */
const uploads = appDir({
  'app.yaml': yaml('runtime: python312'),
  'main.py': 'app = None\n',
  '.gcloudignore': '#!include:.gitignore\n.git\nbig/\n',
  '.gitignore': '*.log\n',
  'debug.log': 'x',
  'big/huge.bin': '',
  'static/a.css': 'body{}',
});
fs.truncateSync(path.join(uploads, 'big', 'huge.bin'), 32 * 1024 * 1024 + 1);
const tooBig = appDir({ 'app.yaml': yaml('runtime: python312'), 'huge.bin': '' });
fs.truncateSync(path.join(tooBig, 'huge.bin'), 32 * 1024 * 1024 + 1);
/** The routes command takes a first argument starting with "/" for a url, so the app is named relative to the repo. */
const validRel = path.relative(REPO, valid);
const invalidFile = path.join(invalid, 'app.yaml');

const runs = {
  checkValid: () => cli('check', valid),
  checkInvalid: () => cli('check', invalid),
  checkInvalidJson: () => cli('check', invalidFile, '--json'),
  checkList: () => cli('check', uploads, '--list'),
  checkListJson: () => cli('check', uploads, '--list', '--json'),
  checkTooBig: () => cli('check', tooBig),
  checkBadOption: () => cli('check', '--bogus'),
  routesBadOption: () => cli('routes', '--bogus'),
  routes: () => cli('routes', validRel, '/hello/foo.jpg', '/nomatch', '/app/x?q=1', '/bad%zz'),
  routesJson: () => cli('routes', validRel, '/static/css/a.css', '/nomatch', '--json'),
  routesAbsolute: () => cli('routes', valid, '/hello/foo.jpg', '--json'),
  routesInvalid: () => cli('routes', path.relative(REPO, invalid), '/x'),
  unknown: () => cli('frobnicate'),
  checkHelp: () => cli('check', '--help'),
  routesHelp: () => cli('routes', '--help'),
  serveHelp: () => cli('serve', '--help'),
};
const results = {} as Record<keyof typeof runs, Run>;

before(async () => {
  // A few at a time: every run loads the whole library through tsx, and CI machines have few cores.
  const queue = Object.entries(runs) as Array<[keyof typeof runs, () => Promise<Run>]>;
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) results[next[0]] = await next[1]();
  };
  await Promise.all(Array.from({ length: Math.max(2, os.availableParallelism()) }, worker));
});

test('check: a valid app exits 0 and says ok', () => {
  const r = results.checkValid;
  assert.equal(r.code, 0, r.stderr);
  const size = fs.statSync(validFile).size;
  assert.equal(r.stdout, `ok: ${validFile}: 3 handlers; 1 file (${size} B) to upload, chosen by skip_files\n`);
  assert.equal(r.stderr, '');
});

test('check: an invalid app exits 1 and prints every problem as file:line:col', () => {
  const r = results.checkInvalid;
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.stdout.split('\n'), [
    `error ${invalidFile}:4:8: handlers[0].url: "foo" is not a valid url: it must start with "/" (or be a group that does not end in "$")`,
    `error ${invalidFile}:7:15: handlers[1].static_dir: static_dir must not contain ".." segments`,
    '2 errors',
    '',
  ]);
});

test('check --json: problems with positions, ok flag', () => {
  const bad = JSON.parse(results.checkInvalidJson.stdout) as { ok: boolean; problems: unknown[]; warnings: unknown[] };
  assert.equal(results.checkInvalidJson.code, 1);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.problems.map((p) => { const { file, line, column, path } = p as Record<string, unknown>; return [file, line, column, path]; }), [
    [invalidFile, 4, 8, 'handlers[0].url'],
    [invalidFile, 7, 15, 'handlers[1].static_dir'],
  ]);
  assert.deepEqual(bad.warnings, []);
});

test('routes: prints the handler table and explains each url', () => {
  const r = results.routes;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 4).map((l) => l.split(/\s{2,}/)), [
    ['#', 'url', 'kind', 'target', 'secure', 'login', 'expiration'],
    ['0', '/static', 'static_dir', 'static', 'optional', 'optional', '3600s'],
    ['1', '/app/.*', 'script', 'main.app', 'optional', 'admin'],
    ['2', '/(.*)/(.*)', 'static_files', 'static/\\1/subdir/\\2', 'optional', 'optional', '600s (default)'],
  ]);
  assert.deepEqual(lines.slice(4), [
    '',
    '/hello/foo.jpg',
    '  matches handler 2 (static_files) ^(?:/(.*)/(.*))$ with \\1="hello" \\2="foo.jpg"',
    '  handlers 0-1 did not match; first match wins; serves file static/hello/subdir/foo.jpg (404 if it is missing)',
    '',
    '/nomatch',
    '  no handler matches: the request falls through to next() (appyaml serve answers 404)',
    '',
    '/app/x?q=1',
    '  matches handler 1 (script) ^(?:/app/.*)$',
    '  handler 0 did not match; first match wins; runs script main.app',
    '',
    '/bad%zz',
    '  malformed percent-encoding: answered 400 before matching',
    '',
  ]);
});

test('routes --json: handlers and urls', () => {
  const r = results.routesJson;
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { handlers: Array<Record<string, unknown>>; urls: Array<Record<string, unknown>> };
  assert.deepEqual(out.handlers.map((h) => [h.index, h.url, h.type, h.target, h.pattern, h.engine, h.login, h.expiration]), [
    [0, '/static', 'static_dir', 'static', '^(?:/static/(.*))$', 'v8', 'optional', 3600],
    [1, '/app/.*', 'script', 'main.app', '^(?:/app/.*)$', 'v8', 'admin', null],
    [2, '/(.*)/(.*)', 'static_files', 'static/\\1/subdir/\\2', '^(?:/(.*)/(.*))$', 'linear', 'optional', 600],
  ]);
  assert.deepEqual(out.handlers[0]!.source, { file: validFile, line: 4, column: 3, path: 'handlers[0]' });
  assert.deepEqual(out.urls, [
    {
      url: '/static/css/a.css',
      path: '/static/css/a.css',
      handler: 0,
      type: 'static_dir',
      pattern: '^(?:/static/(.*))$',
      groups: ['css/a.css'],
      target: 'static/css/a.css',
      note: 'first match wins; serves file static/css/a.css (404 if it is missing)',
    },
    { url: '/nomatch', path: '/nomatch', note: 'no handler matches: the request falls through to next() (appyaml serve answers 404)' },
  ]);
});

test('routes with an absolute app folder reads that folder', {
}, () => {
  const r = results.routesAbsolute;
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { handlers: unknown[]; urls: Array<{ url: string; target?: string }> };
  assert.equal(out.handlers.length, 3);
  assert.deepEqual(out.urls.map((u) => [u.url, u.target]), [['/hello/foo.jpg', 'static/hello/subdir/foo.jpg']]);
});

test('routes on an invalid app exits 1 with the problems on stderr', () => {
  const r = results.routesInvalid;
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.stderr.split('\n').map((l) => l.split(': ')[0]), [`error ${invalidFile}:4:8`, `error ${invalidFile}:7:15`, '']);
});

test('an unknown command exits 2', () => {
  const r = results.unknown;
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^appyaml: unknown command "frobnicate"\n\nUsage: appyaml <command>/);
});

test('--help exits 0 for each command', () => {
  const cases: Array<[Run, RegExp]> = [
    [results.checkHelp, /^Usage: appyaml check \[dir\|app\.yaml\] \[--list\] \[--json\]/],
    [results.routesHelp, /^Usage: appyaml routes \[dir\|app\.yaml\] \[url\.\.\.\] \[--json\]/],
    [results.serveHelp, /^Usage: appyaml serve \[dir\|app\.yaml\] \[options\]/],
  ];
  for (const [r, usage] of cases) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, usage);
  }
});

test('check --list: the files gcloud would upload, chosen by .gcloudignore', () => {
  const r = results.checkList;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // debug.log is ignored through #!include:.gitignore, big/ as a folder (its 32 MB file with it).
  assert.deepEqual(r.stdout.split('\n'), [
    '     31 B  .gcloudignore',
    '      6 B  .gitignore',
    '     19 B  app.yaml',
    '     11 B  main.py',
    '      6 B  static/a.css',
    `ok: ${path.join(uploads, 'app.yaml')}: 0 handlers; 5 files (73 B) to upload, chosen by .gcloudignore`,
    '',
  ]);
});

test('check --list --json: the upload set, its rule and the limits', () => {
  const r = results.checkListJson;
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; upload: { rule: unknown; files: number; bytes: number; limits: unknown[]; list: Array<{ path: string; size: number }> } };
  assert.equal(out.ok, true);
  assert.deepEqual(out.upload.rule, { kind: 'gcloudignore', file: path.join(uploads, '.gcloudignore') });
  assert.deepEqual(out.upload.list.map((f) => f.path), ['.gcloudignore', '.gitignore', 'app.yaml', 'main.py', 'static/a.css']);
  assert.equal(out.upload.files, 5);
  assert.equal(out.upload.bytes, out.upload.list.reduce((sum, f) => sum + f.size, 0));
  assert.deepEqual(out.upload.limits, []);
});

test('check: a file over 32 MB breaks a deploy limit and exits 1', () => {
  const r = results.checkTooBig;
  assert.equal(r.code, 1);
  assert.deepEqual(r.stdout.split('\n').slice(0, 1), ['error huge.bin is 33554433 bytes; App Engine takes files up to 33554432 bytes (32 MB)']);
});

test('an unknown option exits 2 with the usage', () => {
  for (const r of [results.checkBadOption, results.routesBadOption]) {
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--bogus'[\s\S]*Usage: appyaml/);
  }
});
