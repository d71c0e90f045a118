/**
 * security.md §2.1 (URL paths) and the cases rules 1–3 imply beyond it. Fixture handlers:
 * `static_dir: static` at /static, `/img/(.*)` → `static/img/\1`, `/dots(.*)` → `static/\1`,
 * `/files/(.*)` → `\1` (upload `static/.*`), a catch-all WSGI app answering 404 for unknown paths.
 */
import { bodyIs, locationIs, safeRedirect, type Row } from './corpus-row.js';
import { get } from './raw.js';

/** A GET row: [id, rule, target, status, check?]. */
type PathRow = [string, number, string, number, Row['check']?];

const PATHS: PathRow[] = [
  // Rule 1: decode exactly once; 400 on any decoding trouble; literal dot segments 302.
  ['§2.1 #1', 1, '/static/../app.yaml', 302, safeRedirect('/app.yaml')],
  ['§2.1 #1 (target)', 1, '/app.yaml', 404, bodyIs('wsgi: no such page')],
  ['§2.1 #2', 1, '/static/%2e%2e/app.yaml', 400],
  ['§2.1 #4', 1, '/static/%2e%2E/x', 400],
  ['§0.1+ half-encoded dot segment', 1, '/static/.%2e/app.yaml', 400],
  ['§0.1+ encoded single dot', 1, '/static/%2e/ok.txt', 400],
  ['§2.1 #5', 1, '/static/..%2fapp.yaml', 400],
  ['§0.1+ encoded slash, upper case', 1, '/static/sub%2Fx.txt', 400],
  ['§2.1 #7', 1, '/static/%252e%252e/app.yaml', 404],
  ['§2.1 #7 (decoded once: the literal name)', 1, '/static/%252e%252e', 200, bodyIs('literal percent name')],
  ['§2.1 #8', 1, '/static/.%%32%65/x', 400],
  ['§0.1+ lone %', 1, '/static/%', 400],
  ['§0.1+ truncated escape', 1, '/static/%1', 400],
  ['§0.1+ non-hex escape', 1, '/static/%zz', 400],
  ['§0.1+ IIS %u escape', 1, '/static/%uff0e%uff0e/app.yaml', 400],
  ['§2.1 #10', 1, '/static/%c0%ae%c0%ae/app.yaml', 400],
  ['§2.1 #11', 1, '/static/..%c0%afapp.yaml', 400],
  ['§0.1+ lone continuation byte', 1, '/static/%80', 400],
  ['§0.1+ UTF-16 surrogate in UTF-8', 1, '/static/%ed%a0%80', 400],
  // JavaScript's `.` refuses U+2028 where Python's does not: the path must stay on the handler App Engine picks.
  ['§0.1+ U+2028 stays on its handler', 1, '/img/x%E2%80%A8y.png', 404, bodyIs('Not Found\n')],
  ['§0.1+ fullwidth dots are just a name', 1, '/static/%ef%bc%8e%ef%bc%8e/app.yaml', 404],
  ['§2.1 #13', 1, '/static/%00', 400],
  ['§2.1 #13 (mid-name)', 1, '/static/a.txt%00.png', 400],
  ['§0.1+ encoded control character', 1, '/static/ok%01.txt', 400],
  ['§0.1+ encoded DEL', 1, '/static/ok%7f.txt', 400],
  ['§0.1+ raw backslash', 1, '/static/..\\app.yaml', 400],
  ['§0.1+ encoded backslash', 1, '/static/..%5capp.yaml', 400],
  ['§2.1 #16', 1, '/static/x.txt/..', 302, safeRedirect('/static/')],
  ['§2.1 #16 (. segment)', 1, '/static/sub/./x.txt', 302, safeRedirect('/static/sub/x.txt')],
  ['§0.1+ redirect keeps the query', 1, '/static/sub/./x.txt?a=1&b=2', 302, locationIs('/static/sub/x.txt?a=1&b=2')],
  ['§2.1 #17', 1, '/static/a..b.txt', 200, bodyIs('two dots inside')],
  ['§0.1+ filter-evasion ....//', 1, '/static/....//app.yaml', 404],
  ['§0.1+ path over 8 KiB', 1, `/static/${'a'.repeat(9000)}`, 414],
  ['§2.1 #40', 1, '/static/a%3Fb.txt', 200, bodyIs('question mark')],

  // Rule 2: containment on the final path, after \1 and realpath.
  ['§2.1 #28', 2, '/static/d/etc/passwd', 404],
  ['§0.2+ symlink to a file outside', 2, '/static/out', 404],
  ['§0.2+ symlink to a folder outside', 2, '/static/outdir/secret.txt', 404],
  ['§0.2+ sibling sharing the root prefix (file)', 2, '/static/prefix', 404],
  ['§0.2+ sibling sharing the root prefix (folder)', 2, '/static/prefixdir/secret.txt', 404],
  ['§0.2+ symlink to the app root', 2, '/static/root/main.py', 404],
  ['§0.2+ symlink loop', 2, '/static/loop/loop/ok.txt', 404],
  ['§2.1 #29', 2, '/static/l', 200, bodyIs('ok file')],
  ['§2.1 #29 (relative through ..)', 2, '/static/l2', 200, bodyIs('sub x')],
  ['§2.1 #37', 2, '/img/..%2F..%2Fapp.yaml', 400],
  ['§2.1 #37 (literal)', 2, '/img/../../app.yaml', 302, safeRedirect('/app.yaml')],
  ['§2.1 #38', 2, '/files//etc/passwd', 404],
  ['§0.2+ \\1 = ../app.yaml (alias off-by-slash)', 2, '/dots../app.yaml', 404],
  ['§0.2+ \\1 = ..', 2, '/dots..', 404],
  ['§0.2+ \\1 = ../../outside', 2, '/dots../..', 302, safeRedirect('/')],
  ['§0.2+ \\1 control', 2, '/dotsok.txt', 200, bodyIs('ok file')],

  // Rule 3: only what a deployment would contain (upload, skip_files).
  ['§2.1 #19', 3, '/static/sub', 404],
  ['§2.1 #19 (with slash)', 3, '/static/sub/', 404],
  ['§2.1 #22', 3, `/static/${'n'.repeat(300)}`, 404],
  ['§2.1 #23', 3, '/static/ok.txt/', 404],
  ['§2.1 #25', 3, '/static/sub/.hidden/x.txt', 404],
  ['§2.1 #26', 3, '/files/app.yaml', 404],
  ['§2.1 #26 (script source)', 3, '/files/main.py', 404],
  ['§2.1 #26 (CGI source)', 3, '/files/cgi/ok.py', 404],
  ['§2.1 #26 (dotfile at the root)', 3, '/files/.env', 404],
  ['§0.3+ file not in upload', 3, '/files/private/secret.txt', 404],
  ['§0.3+ upload allows static/', 3, '/files/static/ok.txt', 200, bodyIs('ok file')],
  ['§2.1 #31', 3, '/static/.ENV', 404],
  ['§2.1 #31 (lower case)', 3, '/static/.env', 404],
  ['§2.1 #31 (url is case-sensitive)', 3, '/STATIC/ok.txt', 404, bodyIs('wsgi: no such page')],
  ['§0.3+ dot folder', 3, '/static/.git/config', 404],
  ['§0.3+ skip_files: backup ~', 3, '/static/notes.txt~', 404],
  ['§0.3+ skip_files: .pyc', 3, '/static/mod.pyc', 404],
  ['§0.3+ skip_files: .pyo', 3, '/static/mod.pyo', 404],
  ['§0.3+ skip_files: RCS/', 3, '/static/RCS/x.txt', 404],
  ['§0.3+ symlink to a skipped file', 3, '/static/dotenv', 404],
  ['§2.1 #32', 3, '/static/ok.txt.', 404],
  ['§2.1 #32 (trailing space)', 3, '/static/ok.txt%20', 404],
  ['§2.1 #34', 3, '/static/CON', 404],
  // On POSIX a drive letter is only a name; the 400 of the catalogue is win32's.
  ['§2.1 #35 (posix)', 3, '/static/C:/Windows/win.ini', 404],
];

export const PATH_ROWS: Row[] = [
  ...PATHS.map(([id, rule, target, status, check]): Row => ({ id, rule, what: `GET ${target.length > 60 ? `${target.slice(0, 60)}…` : target}`, send: get(target), status, check })),
  {
    id: '§2.1 #14',
    rule: 1,
    what: 'raw NUL in the request line',
    send: 'GET /static/..\x00 HTTP/1.1\r\nHost: app.test\r\n\r\n',
    // "400 or closed": Node's parser answers 400 before any handler sees it.
    status: 400,
  },
  {
    id: '§0.1+ raw byte above 0x7f',
    rule: 1,
    what: 'latin1 é in the request line',
    send: 'GET /static/\xe9.txt HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n',
    status: 400,
  },
];
