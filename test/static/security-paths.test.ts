/**
 * security.md §2.1 (URL paths), sent byte for byte over a TCP socket to appYaml() mounted in
 * Express 5 and on plain node:http. Every row also checks that nothing outside what a
 * deployment would contain comes back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appYaml, type AppYamlMiddleware } from '../../lib/app-yaml.js';
import { HOST_BODY, makeApp, rawRequest, removeDir, serveExpress, serveHttp, type Running } from './helpers.js';

const APP_YAML = String.raw`
runtime: python312
handlers:
- url: /static
  static_dir: static
- url: /img/(.*)
  static_files: static/img/\1
  upload: static/img/.*
- url: /dots(.*)
  static_files: static/\1
  upload: static/.*
- url: /catch/(.*)
  static_files: \1
  upload: static/.*
- url: /(.*)
  static_files: \1
  upload: static/.*
`;

const SECRET = 'TOP-SECRET-OUTSIDE';

let root: string;
let outside: string;
let middleware: AppYamlMiddleware;
const hosts: Array<[string, Running]> = [];

before(async () => {
  outside = mkdtempSync(join(tmpdir(), 'appyaml-outside-'));
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  root = makeApp({
    'app.yaml': APP_YAML,
    'main.py': 'SECRET_SOURCE = 1\n',
    '.env': 'DB_PASSWORD=hunter2\n',
    'static/ok.txt': 'ok file',
    'static/a..b.txt': 'two dots inside',
    'static/a?b.txt': 'question mark',
    'static/sub/x.txt': 'sub x',
    'static/sub/.hidden/x.txt': 'hidden',
    'static/.ENV': 'upper env',
    'static/.env': 'lower env',
    'static/notes.txt~': 'backup',
    'static/.hidden\u2028x': 'a dotfile whose name JavaScript regexes read differently',
    'static/mod.pyc': 'bytecode',
    'static/img/logo.png': 'PNG',
    'static/l': { link: 'ok.txt' },
    'static/l2': { link: '../static/sub/x.txt' },
    'static/d': { link: '/' },
    'static/out': { link: join(outside, 'secret.txt') },
    'static/outdir': { link: outside },
    'static/dotenv': { link: '../.env' },
    'static/root': { link: '..' },
  });
  middleware = appYaml({ root });
  hosts.push(['node:http', await serveHttp(middleware)], ['express', await serveExpress(middleware)]);
});

after(async () => {
  for (const [, host] of hosts) await host.close();
  middleware.close();
  removeDir(root);
  removeDir(outside);
});

/** [row, raw request target, expected status, expected body or Location]. */
const ROWS: Array<[string, string, number, string?]> = [
  ['1 literal ..', '/static/../app.yaml', 302, '/app.yaml'],
  ['1b redirect target is not served', '/app.yaml', 404],
  ['2 encoded ..', '/static/%2e%2e/app.yaml', 400],
  ['4 mixed-case hex', '/static/%2e%2E/x', 400],
  ['4b half-encoded', '/static/.%2e/app.yaml', 400],
  ['5 encoded slash', '/static/..%2fapp.yaml', 400],
  ['7 double-encoded stays literal', '/static/%252e%252e/app.yaml', 404],
  ['8 malformed percent', '/static/.%%32%65/x', 400],
  ['10 overlong dot', '/static/%c0%ae%c0%ae/app.yaml', 400],
  ['11 overlong slash', '/static/..%c0%afapp.yaml', 400],
  ['13 encoded NUL', '/static/%00', 400],
  ['13b encoded NUL mid-name', '/static/a.txt%00.png', 400],
  ['backslash raw', '/static/..\\app.yaml', 400],
  ['backslash encoded', '/static/..%5capp.yaml', 400],
  ['16 trailing ..', '/static/x.txt/..', 302, '/static/'],
  ['16b . segment', '/static/sub/./x.txt', 302, '/static/sub/x.txt'],
  ['16c redirect keeps the query', '/static/sub/./x.txt?a=1&b=2', 302, '/static/sub/x.txt?a=1&b=2'],
  ['17 dots inside a name', '/static/a..b.txt', 200, 'two dots inside'],
  ['19 directory without slash', '/static/sub', 404],
  ['19b directory with slash', '/static/sub/', 404],
  ['19c static_dir root', '/static/', 404],
  ['22 name longer than NAME_MAX', `/static/${'n'.repeat(300)}`, 404],
  ['23 file plus slash', '/static/ok.txt/', 404],
  ['25 dot folder', '/static/sub/.hidden/x.txt', 404],
  ['26 app.yaml under a catch-all', '/catch/app.yaml', 404],
  ['26b source under a catch-all', '/catch/main.py', 404],
  ['26c dotfile under a catch-all', '/catch/.env', 404],
  ['26d upload allows static/', '/catch/static/ok.txt', 200, 'ok file'],
  ['28 symlink to /', '/static/d/etc/passwd', 404],
  ['28b symlink to a file outside', '/static/out', 404],
  ['28c symlink to a folder outside', '/static/outdir/secret.txt', 404],
  ['28d symlink to a skipped file inside', '/static/dotenv', 404],
  ['28e symlink to the app root', '/static/root/main.py', 404],
  ['29 symlink inside the root', '/static/l', 200, 'ok file'],
  ['29b relative symlink through ..', '/static/l2', 200, 'sub x'],
  ['31 dotfile, upper case', '/static/.ENV', 404],
  ['31b dotfile', '/static/.env', 404],
  ['31c url match is case-sensitive', '/STATIC/ok.txt', 404],
  ['skip_files: backup', '/static/notes.txt~', 404],
  ['skip_files: compiled python', '/static/mod.pyc', 404],
  ['skip_files: a dotfile whose name holds U+2028', '/static/.hidden%E2%80%A8x', 404],
  ['32 trailing dot', '/static/ok.txt.', 404],
  ['32b trailing space', '/static/ok.txt%20', 404],
  ['34 device name', '/static/CON', 404],
  ['35 drive letter', '/static/C:/Windows/win.ini', 404],
  ['37 encoded traversal through \\1', '/img/..%2F..%2Fapp.yaml', 400],
  ['37b literal traversal through \\1', '/img/../../app.yaml', 302, '/app.yaml'],
  ['alias off-by-slash: \\1 = ../app.yaml', '/dots../app.yaml', 404],
  ['alias off-by-slash: \\1 = ..', '/dots..', 404],
  ['alias off-by-slash control', '/dotsok.txt', 200, 'ok file'],
  ['38 absolute expansion', '//etc/passwd', 404],
  ['38b absolute expansion, encoded', '/%2Fetc/passwd', 400],
  ['40 encoded ?', '/static/a%3Fb.txt', 200, 'question mark'],
  ['open redirect via //', '//evil.example/%2e%2e', 400],
  ['open redirect via literal ..', '//evil.example/x/..', 302, '/evil.example/'],
  ['absolute-form target', 'http://evil.example/static/ok.txt', 200, 'ok file'],
  ['asterisk-form target', '*', 400],
];

for (const hostName of ['node:http', 'express']) {
  describe(`security.md §2.1 paths on ${hostName}`, { timeout: 10000 }, () => {
    const port = () => hosts.find(([name]) => name === hostName)![1].port;

    for (const [row, target, status, expected] of ROWS) {
      it(`row ${row}: ${target.length > 60 ? `${target.slice(0, 60)}…` : target} → ${status}`, async () => {
        const reply = await rawRequest(port(), target);
        assert.equal(reply.status, status, reply.text.slice(0, 300));
        for (const leak of [SECRET, 'SECRET_SOURCE', 'hunter2', 'root:x:0:0', 'runtime: python312', HOST_BODY]) {
          assert.ok(!reply.body.toString('latin1').includes(leak), `leaked ${leak}`);
        }
        if (status === 200) assert.equal(reply.body.toString(), expected);
        if (status === 302) {
          assert.equal(reply.headers.location, expected);
          assert.equal(reply.headers['content-security-policy'], "default-src 'none'");
          assert.ok(!/href/i.test(reply.body.toString()), 'no link in the redirect body');
        }
        if (status === 404) assert.equal(reply.body.toString(), 'Not Found\n');
      });
    }

    it('row 14: a raw NUL in the request line is refused, never served', async () => {
      const reply = await rawRequest(port(), '/static/..\x00');
      assert.ok(reply.status === 400 || reply.text === '', reply.text);
    });

    it('row 20: a redirect target with markup is percent-encoded and not echoed', async () => {
      const redirect = await rawRequest(port(), '/"><script>alert(1)</script>/./x');
      assert.equal(redirect.status, 302);
      assert.equal(redirect.headers.location, '/%22%3E%3Cscript%3Ealert(1)%3C/script%3E/x');
      assert.ok(!redirect.body.toString().includes('<script>'));
      assert.equal(redirect.headers['x-content-type-options'], 'nosniff');
    });

    it('414 for a path over 8192 bytes, before matching', async () => {
      const reply = await rawRequest(port(), `/static/${'a'.repeat(8200)}`);
      assert.equal(reply.status, 414);
    });

    it('the server keeps serving after every hostile row', async () => {
      const reply = await rawRequest(port(), '/static/ok.txt');
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'ok file');
    });
  });
}

describe('containment does not rest on skip_files', { timeout: 10000 }, () => {
  // With the default skip_files, a path leading out of the app ("../…") also looks like a
  // dotfile; an app that skips nothing must still never serve what a symlink leads out to.
  it('answers 404 for links out of the app, 200 for links inside', async () => {
    const away = mkdtempSync(join(tmpdir(), 'appyaml-away-'));
    writeFileSync(join(away, 'secret.txt'), SECRET);
    const app = makeApp({
      'app.yaml': 'runtime: python27\napi_version: 1\nthreadsafe: true\nskip_files:\n- ^nothing$\nhandlers:\n- url: /static\n  static_dir: static\n',
      'static/ok.txt': 'ok file',
      'static/.visible': 'dotfiles are servable here',
      'static/in': { link: 'ok.txt' },
      'static/out': { link: join(away, 'secret.txt') },
      'static/outdir': { link: away },
      'static/d': { link: '/' },
    });
    let mw: AppYamlMiddleware | undefined;
    let server: Running | undefined;
    try {
      mw = appYaml({ root: app });
      server = await serveHttp(mw);
      for (const path of ['/static/out', '/static/outdir/secret.txt', '/static/d/etc/hostname', '/static/d/etc/passwd']) {
        const reply = await rawRequest(server.port, path);
        assert.equal(reply.status, 404, path);
        assert.ok(!reply.body.toString().includes(SECRET));
      }
      assert.equal((await rawRequest(server.port, '/static/in')).body.toString(), 'ok file');
      assert.equal((await rawRequest(server.port, '/static/.visible')).body.toString(), 'dotfiles are servable here');
    } finally {
      await server?.close();
      mw?.close();
      removeDir(app);
      removeDir(away);
    }
  });
});
