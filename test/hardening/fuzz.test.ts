/**
 * Property-based tests (fast-check, fixed seed, bounded runs) on the path pipeline: decoding once,
 * normalisation, `\1` expansion, containment in the file index, route matching on long inputs,
 * and random hostile targets against the real server with marker files outside the app.
 * `npm run fuzz` runs the same properties longer (FUZZ_RUNS multiplies the run counts, FUZZ_SEED).
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadAppYaml } from '../../lib/config/load.js';
import { decodeRequestPath } from '../../lib/envelope/request-path.js';
import { FileIndex } from '../../lib/handlers/static/file-index.js';
import { RouteTable } from '../../lib/router/route-table.js';
import { appDir, py27 } from '../helpers/app-dir.js';
import { buildFixture, processesMentioning, serveFixture, type Served } from './fixture.js';
import { ALL_MARKERS } from './fixture-files.js';
import { SCALE, decodedPath, hasControlOrSeparator, params, relativePath, requestTarget } from './fuzz-arbitraries.js';
import { get, raw } from './raw.js';

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const hasDotSegment = (path: string) => path.split('/').some((s) => s === '.' || s === '..');

describe('decodeRequestPath', { timeout: 60_000 * SCALE }, () => {
  it('never throws; an accepted path has no control character, backslash or dot segment', () => {
    fc.assert(
      fc.property(requestTarget, (target) => {
        const result = decodeRequestPath(target);
        if (result.kind !== 'ok') return;
        assert.ok(!hasControlOrSeparator(result.path.replaceAll('/', '')), result.path);
        assert.ok(!hasDotSegment(result.path), result.path);
      }),
      params(2000),
    );
  });

  it('a redirect is same-origin, escaped, and already normalised', () => {
    fc.assert(
      fc.property(requestTarget, (target) => {
        const result = decodeRequestPath(target);
        if (result.kind !== 'redirect') return;
        assert.match(result.location, /^\/(?!\/)/);
        assert.ok(!/[\s"<>\\]/.test(result.location), result.location);
        assert.notEqual(decodeRequestPath(result.location).kind, 'redirect', `${target} → ${result.location}`);
      }),
      params(2000),
    );
  });

  it('decodes exactly once: an encoded path comes back, a double-encoded one comes back encoded', () => {
    fc.assert(
      fc.property(decodedPath, (path) => {
        const once = decodeRequestPath(encodePath(path));
        assert.deepEqual(once, { kind: 'ok', path, query: '' });
        const twice = decodeRequestPath(encodePath(encodePath(path)));
        assert.deepEqual(twice, { kind: 'ok', path: encodePath(path), query: '' });
      }),
      params(1000),
    );
  });
});

describe('route matching and \\1 expansion', { timeout: 60_000 * SCALE }, () => {
  const config = loadAppYaml(
    appDir({
      'app.yaml': py27(
        'handlers:',
        '- url: /img/(.*)',
        '  static_files: static/img/\\1',
        '  upload: static/img/.*',
        '- url: /(x+)/(?P<rest>.*)',
        '  static_files: static/\\g<rest>/\\1',
        '  upload: static/.*',
        // Polynomial on a backtracking engine (three unbounded repeats around literals).
        '- url: /.*a.*a.*a.*b',
        '  script: main.app',
        '- url: /(.*)/(.*)/(.*)/end',
        '  script: main.app',
      ),
    }),
  );
  const table = new RouteTable(config.handlers);

  // Python's `.` takes every character but \n (U+2028, \r... included): so does the router.
  const noNewline = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).filter((s) => !s.includes('\n'));

  it('a capture is inserted literally, never expanded again (backslashes, \\g<…> in the path)', () => {
    fc.assert(
      fc.property(noNewline(40), noNewline(20), (s, rest) => {
        assert.equal(table.match(`/img/${s}`)?.target, `static/img/${s}`);
        const xs = table.match(`/xx/${rest}`);
        assert.equal(xs?.target, `static/${rest}/xx`);
      }),
      params(1000),
    );
  });

  it('a path holding \\n matches no `.`, as in Python', () => {
    fc.assert(
      fc.property(noNewline(10), noNewline(10), (a, b) => assert.equal(table.match(`/img/${a}\n${b}`), undefined)),
      params(300),
    );
  });

  it('long hostile paths are matched by the linear engine, with one regex run per handler at most', () => {
    const runs = new Map<number, number>();
    for (const handler of config.handlers) {
      const pattern = handler.pattern;
      const match = pattern.match.bind(pattern);
      Object.assign(pattern, { match: (path: string) => (runs.set(handler.index, (runs.get(handler.index) ?? 0) + 1), match(path)) });
    }
    assert.deepEqual(config.handlers.slice(2).map((h) => h.pattern.engine), ['linear', 'linear']);
    const started = process.cpuUsage();
    let calls = 0;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '/', 'x', '.'), minLength: 4000, maxLength: 8000 }), (tail) => {
        const before = [...runs.values()].reduce((a, b) => a + b, 0);
        table.match(`/${tail}`);
        calls++;
        const ran = [...runs.values()].reduce((a, b) => a + b, 0) - before;
        assert.ok(ran <= config.handlers.length, `${ran} regex runs for one path`);
      }),
      params(50),
    );
    // Generous: cubic backtracking on 8 KiB would take hours; the linear engine takes milliseconds.
    const cpu = process.cpuUsage(started);
    assert.ok(cpu.user + cpu.system < calls * 1_000_000, `${(cpu.user + cpu.system) / 1000} ms of CPU for ${calls} matches`);
  });
});

describe('containment of the file index', { timeout: 60_000 * SCALE }, () => {
  const fixture = buildFixture();
  after(() => fixture.remove());

  it('every file the index returns is inside the real app root and holds no marker', () => {
    const config = loadAppYaml(fixture.root);
    const index = new FileIndex(config, { mode: 'production', memoryFileSize: 1 << 16, memoryTotalSize: 1 << 24 });
    const realRoot = realpathSync(fixture.root);
    fc.assert(
      fc.property(relativePath, (path) => {
        const entry = index.get(path);
        if (!entry) return;
        assert.ok(entry.abs.startsWith(realRoot + sep), `${path} → ${entry.abs}`);
        const text = entry.body?.toString('latin1') ?? '';
        for (const marker of ALL_MARKERS) assert.ok(!text.includes(marker), `${path} holds ${marker}`);
      }),
      params(3000),
    );
    index.close();
  });
});

describe('random hostile targets against the real server', { timeout: 120_000 * SCALE }, () => {
  const fixture = buildFixture();
  const SERVED = new Set(['ok file', 'two dots inside', 'question mark', 'literal percent name', 'sub x', 'PNG bytes']);
  let served: Served;
  before(async () => {
    served = await serveFixture(fixture.root, { trustProxy: false, allowedHosts: ['app.test'] });
  });
  after(async () => {
    try {
      // Unset when before() failed: the fixture is still removed.
      if (served) await served.close();
      assert.deepEqual(processesMentioning(fixture.root), []);
    } finally {
      fixture.remove();
    }
  });

  it('no marker is ever served; every answer is a known file, a safe redirect or a refusal', async () => {
    await fc.assert(
      fc.asyncProperty(requestTarget, async (target) => {
        const reply = await raw(served.port, get(target));
        for (const marker of ALL_MARKERS) assert.ok(!reply.text.includes(marker), `${target} served ${marker}`);
        assert.ok([200, 302, 400, 404, 414].includes(reply.status), `${target} → ${reply.status}`);
        if (reply.status === 200) assert.ok(SERVED.has(reply.body), `${target} served ${reply.body.slice(0, 80)}`);
        if (reply.status === 302 && !target.startsWith('/secure/')) assert.match(reply.headers.location ?? '', /^\/(?!\/)/);
      }),
      params(300),
    );
    const next = await raw(served.port, get('/static/ok.txt'));
    assert.equal(next.body, 'ok file');
  });
});
