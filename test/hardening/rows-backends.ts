/**
 * security.md §2.4 (backends) and the cases rules 5 and 8 imply: what a WSGI app or CGI script
 * sends back is checked before it reaches the client, and a backend past its deadline is killed
 * with its whole process group. The corpus server's deadline is 4 s.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { alive, readPid } from './fixture.js';
import { all, bodyIs, type Row, type RowContext } from './corpus-row.js';
import { get } from './raw.js';
import type { RawOutcome } from './raw.js';

/** App Engine's error page, never the app's traceback or exception text. */
const noTraceback = (reply: RawOutcome): void => {
  assert.ok(!/Traceback|RuntimeError|boom|File "/.test(reply.body), `the error leaked: ${reply.body.slice(0, 300)}`);
};
const emptyBody = (reply: RawOutcome): void => assert.equal(reply.body, '');
const noHeader = (name: string) => (reply: RawOutcome) => assert.equal(reply.headers[name], undefined, `${name} passed through`);

/** Every pid the app wrote to `files` is gone within 6 s (killed with its group). */
function killed(...files: string[]) {
  return async (_reply: RawOutcome, ctx: RowContext): Promise<void> => {
    for (const file of files) {
      const until = Date.now() + 6000;
      let pid = readPid(ctx.state, file);
      while (!pid && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        pid = readPid(ctx.state, file);
      }
      assert.ok(pid, `the app never wrote ${file}`);
      while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.ok(!alive(pid), `pid ${pid} (${file}) is still running`);
    }
  };
}

/** A GET row: [id, rule, target, status, check?]. */
type BackendRow = [string, number, string, number, Row['check']?];

const WSGI: BackendRow[] = [
  ['§0.5+ WSGI control: a valid response', 5, '/wsgi/hello', 200, bodyIs('hello from wsgi')],
  ['§2.4 #86', 5, '/wsgi/raise', 500, noTraceback],
  ['§2.4 #88', 5, '/wsgi/nostart', 500, noTraceback],
  ['§2.4 #89', 5, '/wsgi/twice', 500, noTraceback],
  ['§2.4 #91 (200OK)', 5, '/wsgi/status-200OK', 500],
  ['§2.4 #91 (2000 X)', 5, '/wsgi/status-2000', 500],
  ['§0.5+ CRLF in a header value', 5, '/wsgi/header-crlf', 500, all(noHeader('x-split'), noHeader('set-cookie'))],
  ['§0.5+ NUL in a header value', 5, '/wsgi/header-nul', 500, noHeader('x-nul')],
  ['§0.5+ header name not a token', 5, '/wsgi/header-name', 500],
  ['§0.5+ hop-by-hop header from the app', 5, '/wsgi/header-hop', 500],
  ['§0.5+ str body', 5, '/wsgi/str-body', 500],
  ['§0.5+ body shorter than its Content-Length', 5, '/wsgi/short', 500],
  ['§0.5+ body over 32 MiB (as #82)', 5, '/wsgi/huge', 500, emptyBody],
  ['§0.5+ garbage on the process stdout/stderr', 5, '/wsgi/garbage-stdio', 200, bodyIs('survived garbage')],
  ['§0.8+ blocked in C, interrupted by DeadlineExceededError', 8, '/wsgi/interruptible', 500],
  ['§0.8+ hung in C past the deadline (as #80)', 8, '/wsgi/hang', 500, killed('hang.pid')],
  ['§0.8+ grandchild holding on', 8, '/wsgi/grandchild', 500, killed('grandchild-parent.pid', 'grandchild.pid')],
  ['§0.8+ grandchild ignoring SIGTERM', 8, '/wsgi/stubborn', 500, killed('stubborn.pid')],
  ['§0.8+ DeadlineExceededError swallowed', 8, '/wsgi/swallow', 500, killed('swallow.pid')],
];

/** Whatever the CGI mode, the response is checked (run on both corpus servers). */
const CGI_CHECKS: BackendRow[] = [
  ['§0.5+ CGI control: a valid response', 5, '/cgi/ok', 200, bodyIs('hello from cgi')],
  ['§2.4 #73', 5, '/cgi/fault/noblank', 502],
  ['§2.4 #74', 5, '/cgi/fault/longheader', 502],
  ['§2.4 #76', 5, '/cgi/fault/emptyname', 502],
  ['§2.4 #76 (LF in a name)', 5, '/cgi/fault/newlinename', 502],
  ['§2.4 #77 (abc)', 5, '/cgi/fault/status-abc', 502],
  ['§2.4 #77 (99)', 5, '/cgi/fault/status-99', 502],
  ['§2.4 #77 (1000)', 5, '/cgi/fault/status-1000', 502],
  ['§2.4 #79', 5, '/cgi/fault/location', 302, (r) => assert.equal(r.headers.location, 'https://example.test/elsewhere')],
  ['§2.4 #82 (response part)', 5, '/cgi/fault/huge', 500, emptyBody],
];

/** A process per request (the trusted server runs `cgiMode: 'spawn'`): rule 8 applies to the script itself. */
const CGI_SPAWN: BackendRow[] = [
  ['§2.4 #80', 8, '/cgi/fault/hang', 504, killed('cgi-hang.pid')],
  ['§2.4 #82', 8, '/cgi/fault/huge', 500, all(emptyBody, killed('cgi-huge.pid'))],
];

/** App Engine's app caching (the default): the script runs in a worker, which is killed only when it cannot be interrupted. */
const CGI_CACHED: BackendRow[] = [
  ['§0.8+ cached CGI interrupted by DeadlineExceededError', 8, '/cgi/fault/hang', 500],
  ['§0.8+ cached CGI deaf to the deadline is killed', 8, '/cgi/fault/hangc', 500, killed('cgi-hangc.pid')],
];

const rows = (table: BackendRow[], server?: 'trusted', suffix = ''): Row[] =>
  table.map(([id, rule, target, status, check]) => ({ id: id + suffix, rule, what: `GET ${target}`, send: get(target), status, check, server }));

export const BACKEND_ROWS: Row[] = [
  ...rows(WSGI),
  {
    id: '§0.8+ client gone before the deadline',
    rule: 8,
    what: 'GET /wsgi/hang-left, client leaves after 300 ms',
    send: get('/wsgi/hang-left'),
    // The client gives up (timeout 300 ms) before anything is answered.
    timeout: 300,
    status: 0,
    check: killed('hang-left.pid'),
  },
  ...rows(CGI_CHECKS, undefined, ' (cached)'),
  ...rows(CGI_CHECKS, 'trusted', ' (spawn)'),
  ...rows(CGI_SPAWN, 'trusted'),
  ...rows(CGI_CACHED),
  {
    id: '§2.4 #83',
    rule: 5,
    what: 'CGI exits non-zero mid-body',
    send: get('/cgi/fault/diemid'),
    status: 502,
    server: 'trusted',
  },
  {
    id: '§2.4 #85',
    rule: 8,
    what: 'client disconnects mid-response',
    send: get('/cgi/fault/slow'),
    timeout: 500,
    status: 0,
    server: 'trusted',
    check: killed('cgi-slow.pid'),
  },
  {
    id: '§2.2 #52',
    rule: 6,
    what: 'Shellshock in User-Agent to a CGI that runs bash',
    send: get('/cgi/shock', ['User-Agent: () { :; }; echo pwned > /tmp/appyaml-harden-shellshock']),
    status: 200,
    check: all(bodyIs('shock done'), () => assert.ok(!existsSync('/tmp/appyaml-harden-shellshock'), 'the payload ran')),
  },
  {
    id: '§0.6+ CGI environment',
    rule: 6,
    what: 'spoofed headers to a CGI script',
    send: get('/cgi/env', ['X_AppEngine_Cron: true', 'Proxy: http://evil.example:1', 'X-AppEngine-User-Email: a@b.c']),
    status: 200,
    check: (r) => {
      assert.match(r.body, /^HTTP_HOST=app\.test$/m, 'not an environment listing');
      assert.ok(!/HTTP_X_APPENGINE_CRON|HTTP_PROXY|HTTP_X_APPENGINE_USER_EMAIL/.test(r.body), r.body);
    },
  },
];
