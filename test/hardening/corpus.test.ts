/**
 * The hostile-input corpus (security.md §2, issue #11): every catalogue row, plus the cases each
 * rule of §0 implies, sent over a raw socket to an `appyaml serve`-style server built from the
 * fixture app. Every row also asserts the invariants: no marker byte (a file outside the app or
 * outside `upload`, a dotfile, a skipped file, source or config) in the response, and the server
 * still answering the next request; at the end no child process is left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appYaml } from '../../lib/app-yaml.js';
import { ConfigError } from '../../lib/config/errors.js';
import { appDir } from '../helpers/app-dir.js';
import type { Row, ServerName } from './corpus-row.js';
import { PYTHON, alive, buildFixture, buildFlexFixture, processesMentioning, readPid, serveFixture, type Served } from './fixture.js';
import { ALL_MARKERS } from './fixture-files.js';
import { get, raw } from './raw.js';
import { BACKEND_ROWS } from './rows-backends.js';
import { CONFIG_ROWS } from './rows-config.js';
import { HTTP_ROWS } from './rows-http.js';
import { PATH_ROWS } from './rows-paths.js';
import { PROXY_ROWS } from './rows-proxy.js';

const ROWS: Row[] = [...PATH_ROWS, ...HTTP_ROWS, ...BACKEND_ROWS, ...PROXY_ROWS];
const fixture = buildFixture();
const flex = buildFlexFixture();
const stalled = buildFlexFixture('sleep 60', 'readiness_check:', '  app_start_timeout_sec: 1');
const servers = {} as Record<ServerName, Served>;

before(async () => {
  // Loopback is not a trusted proxy here, so forwarded headers from the test are a spoof.
  servers.untrusted = await serveFixture(fixture.root, { trustProxy: false, allowedHosts: ['app.test'], limits: { bodyIdleTimeout: 1000 } });
  // Loopback trusted, and CGI scripts in a process each (the catalogue's rows 80–85 assume one).
  servers.trusted = await serveFixture(fixture.root, { allowedHosts: ['app.test'], cgiMode: 'spawn' });
  // A flex app's own HTTP server behind the reverse proxy: buffered (the default) and streamed.
  servers.proxy = await serveFixture(flex.root);
  servers.streamed = await serveFixture(flex.root, { streamResponses: true });
  servers.stalled = await serveFixture(stalled.root);
});

after(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  try {
    for (const app of [fixture, flex, stalled]) assert.deepEqual(processesMentioning(app.root), [], `processes of ${app.root} outlived close()`);
    for (const file of ['hang.pid', 'hang-left.pid', 'grandchild.pid', 'grandchild-parent.pid', 'stubborn.pid', 'swallow.pid', 'cgi-hang.pid', 'cgi-hangc.pid', 'cgi-huge.pid', 'cgi-slow.pid']) {
      const pid = readPid(fixture.state, file);
      assert.ok(pid === undefined || !alive(pid), `${file} (pid ${pid}) is still running`);
    }
  } finally {
    for (const app of [fixture, flex, stalled]) app.remove();
  }
});

/** What each server answers a normal request with: [target, status, body]. */
const STILL_ANSWERS: Record<ServerName, [string, number, string?]> = {
  untrusted: ['/static/ok.txt', 200, 'ok file'],
  trusted: ['/static/ok.txt', 200, 'ok file'],
  proxy: ['/', 200, 'ok'],
  streamed: ['/', 200, 'ok'],
  stalled: ['/', 503],
};

function assertNoMarker(text: string): void {
  for (const marker of ALL_MARKERS) assert.ok(!text.includes(marker), `response carries ${marker}`);
}

describe('security.md §2 over raw sockets', { timeout: 120_000 }, () => {
  for (const row of ROWS) {
    it(`${row.id}: ${row.what} → ${row.status || 'closed'}`, async () => {
      const server = servers[row.server ?? 'untrusted'];
      const reply = await raw(server.port, row.send, row.timeout);
      assert.equal(reply.status, row.status, reply.text.slice(0, 400));
      assertNoMarker(reply.text);
      await row.check?.(reply, { port: server.port, state: fixture.state });
      const [target, status, body] = STILL_ANSWERS[row.server ?? 'untrusted'];
      const next = await raw(server.port, get(target));
      assert.equal(next.status, status, 'the server stopped answering');
      if (body !== undefined) assert.equal(next.body, body);
    });
  }
});

describe('security.md §2.5: app.yaml is untrusted input (rule 7)', { timeout: 60_000 }, () => {
  for (const row of CONFIG_ROWS) {
    it(`${row.id}: ${row.what} → refused at load`, () => {
      const root = appDir({ 'app.yaml': row.text, 'main.py': 'app = None\n', 'static/x.txt': 'x' });
      assert.throws(
        () => appYaml({ root, python: PYTHON, logger: false }),
        (err: unknown) => err instanceof ConfigError && row.message.test(err.message),
      );
      assert.deepEqual(processesMentioning(root), [], 'a refused config started a process');
    });
  }
});

describe('coverage of security.md §0', () => {
  it('every rule has at least five cases', () => {
    const counts = new Map<number, number>([[7, CONFIG_ROWS.length]]);
    for (const row of ROWS) if (row.rule > 0) counts.set(row.rule, (counts.get(row.rule) ?? 0) + 1);
    for (let rule = 1; rule <= 8; rule++) assert.ok((counts.get(rule) ?? 0) >= 5, `rule ${rule} has ${counts.get(rule) ?? 0} cases`);
  });
});
