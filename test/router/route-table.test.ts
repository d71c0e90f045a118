/**
 * The handler table: url validity, anchoring, back-references, static_dir mapping, first match
 * wins, literal prefixes and bounded matching time (spec app-engine.md §1.3, §2.2–§2.4; security.md §2.5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAppYaml } from '../../lib/config/load.js';
import type { HandlerConfig } from '../../lib/config/types.js';
import { compileUrlPattern } from '../../lib/config/url-pattern.js';
import { literalPrefix } from '../../lib/router/literal-prefix.js';
import { literalSuffix } from '../../lib/router/literal-suffix.js';
import { RouteTable } from '../../lib/router/route-table.js';
import { appDir, describe } from '../helpers/app-dir.js';

const root = appDir();
type HandlerSpec = Record<string, unknown>;

function handlers(list: HandlerSpec[]): HandlerConfig[] {
  const result = checkAppYaml({ root, config: { runtime: 'python27', threadsafe: true, handlers: list } });
  assert.ok(result.config, describe(result.problems));
  return result.config.handlers;
}
const table = (...list: HandlerSpec[]) => new RouteTable(handlers(list));
const script = (url: string, s = 'main.app'): HandlerSpec => ({ url, script: s });
const files = (url: string, staticFiles: string): HandlerSpec => ({ url, static_files: staticFiles, upload: '.*' });

/** [path → handler index, target] for each path, or null when nothing matches. */
function routes(t: RouteTable, paths: string[]): Array<[string, number, string] | [string, null]> {
  return paths.map((p) => {
    const m = t.match(p);
    return m ? [p, m.handler.index, m.target] : [p, null];
  });
}

// §1.3 validator table. (?i)/a passes App Engine's url validator but not the port's dialect (ERE only).
const VALID_URLS = ['/', '/foo', '/(.*)$', '/foo$', '.*', '.', '(/.*)', '(.)', '(/a|/b)'];
const INVALID_URLS: Array<[string, RegExp]> = [
  ['^/foo', /must not start with "\^"/],
  ['foo', /is not a valid url/],
  ['*', /is not a valid url/],
  ['\\/x', /is not a valid url/],
  ['(/.*)$', /is not a valid url/],
  ['(', /is not a valid url/],
  ['()', /is not a valid url/],
  ['(?i)/a', /inline flags such as \(\?i\) are not supported/],
];

test('§1.3: valid urls', () => {
  assert.deepEqual(handlers(VALID_URLS.map((u) => script(u))).map((h) => h.url), VALID_URLS);
});

for (const [url, message] of INVALID_URLS) {
  test(`§1.3: url ${url} is invalid`, () => {
    const result = checkAppYaml({ root, config: { runtime: 'python27', threadsafe: true, handlers: [script(url)] } });
    assert.equal(result.config, undefined);
    assert.deepEqual(result.problems.map((p) => p.path), ['handlers[0].url']);
    assert.match(result.problems[0]!.message, message);
  });
}

test('§2.2: patterns are anchored at both ends', () => {
  const t = table(script('/hello', 'hello.app'), script('/hel', 'hel.app'));
  assert.deepEqual(routes(t, ['/hello', '/hello/x', '/hel', '/hell', '/xhello', '/hello/']), [
    ['/hello', 0, 'hello.app'],
    ['/hello/x', null],
    ['/hel', 1, 'hel.app'],
    ['/hell', null],
    ['/xhello', null],
    ['/hello/', null],
  ]);
});

test('§2.2: an alternation is anchored as a whole', () => {
  const t = table(script('/a|/b', 'ab.app'), script('/x(/c|/d)', 'cd.app'));
  assert.equal(t.handlers[0]!.pattern.regex, '^(?:/a|/b)$');
  assert.deepEqual(routes(t, ['/a', '/b', '/ax', '/xb', '/a|/b', '/x/c', '/x/d', '/x/cd']), [
    ['/a', 0, 'ab.app'],
    ['/b', 0, 'ab.app'],
    ['/ax', null],
    ['/xb', null],
    ['/a|/b', null],
    ['/x/c', 1, 'cd.app'],
    ['/x/d', 1, 'cd.app'],
    ['/x/cd', null],
  ]);
});

test('§2.2: the table sees the decoded path only; a ? in it is a decoded %3F, not a query', () => {
  // Callers strip the query before matching (see the routes CLI test); url: /a\?x=1 can only match /a%3Fx=1.
  const t = table(script('/a\\?x=1', 'q.app'), script('/a.*', 'a.app'));
  assert.deepEqual(routes(t, [decodeURIComponent('/a%3Fx=1'), '/a']), [['/a?x=1', 0, 'q.app'], ['/a', 1, 'a.app']]);
});

test('§2.2: matching is case-sensitive and . does not match a newline', () => {
  const t = table(script('/Hello', 'h.app'), script('/n/.*', 'n.app'));
  assert.deepEqual(routes(t, ['/hello', '/Hello', '/n/a\nb']), [['/hello', null], ['/Hello', 0, 'h.app'], ['/n/a\nb', null]]);
});

test('§2.3: back-references in static_files and script', () => {
  const t = table(files('/(.*)/(.*)', 'static/\\1/subdir/\\2'));
  assert.deepEqual(routes(t, ['/hello/foo.jpg', '/a/b/c']), [
    ['/hello/foo.jpg', 0, 'static/hello/subdir/foo.jpg'],
    ['/a/b/c', 0, 'static/a/b/subdir/c'], // greedy first group, as in Python
  ]);
  const s = table(script('/(\\w+)/(\\d+)', '\\1.app'));
  const m = s.match('/users/42');
  assert.deepEqual([m?.target, m?.match.groups], ['users.app', ['/users/42', 'users', '42']]);
  assert.equal(s.match('/users/x'), undefined);
});

test('§2.3: an unmatched optional group expands to the empty string', () => {
  const t = table(script('/opt(/x)?/(y)', 'o\\1\\2.app'));
  assert.deepEqual(routes(t, ['/opt/y', '/opt/x/y']), [['/opt/y', 0, 'oy.app'], ['/opt/x/y', 0, 'o/xy.app']]);
  assert.deepEqual(t.match('/opt/y')?.match.groups, ['/opt/y', undefined, 'y']);
});

test('§2.3: \\g<name> and \\g<n>', () => {
  const t = table(files('/n/(?P<name>\\w+)/(\\d+)', 's/\\g<name>-\\g<2>.txt'));
  assert.deepEqual(routes(t, ['/n/abc/7']), [['/n/abc/7', 0, 's/abc-7.txt']]);
});

test('§2.4: static_dir maps url/<rest> to static_dir/<rest>', () => {
  const t = table({ url: '/static', static_dir: 'static' }, script('/.*', 'main.app'));
  assert.equal(t.handlers[0]!.pattern.regex, '^(?:/static/(.*))$');
  assert.deepEqual(routes(t, ['/static', '/static/', '/static/a/b.txt', '/staticfoo/x', '/static//etc/passwd', '/static/sub/']), [
    ['/static', 1, 'main.app'], // not matched by the static_dir: the next handler gets it
    ['/static/', 0, 'static/'],
    ['/static/a/b.txt', 0, 'static/a/b.txt'],
    ['/staticfoo/x', 1, 'main.app'],
    ['/static//etc/passwd', 0, 'static//etc/passwd'], // the empty segment is kept for the file handler to refuse
    ['/static/sub/', 0, 'static/sub/'],
  ]);
});

test('§2.4: a trailing / on the url or static_dir is not doubled', () => {
  const t = table({ url: '/static/', static_dir: 'static/' });
  assert.deepEqual([t.handlers[0]!.pattern.regex, t.handlers[0]!.type === 'static_dir' && t.handlers[0]!.static_dir], ['^(?:/static/(.*))$', 'static']);
  assert.deepEqual(routes(t, ['/static', '/static/x', '/static//x']), [['/static', null], ['/static/x', 0, 'static/x'], ['/static//x', 0, 'static//x']]);
});

test('§1.3: a . in a static_dir url is literal, not any character', () => {
  const t = table({ url: '/.well-known', static_dir: 'wk' }, { url: '/st.tic', static_dir: 'st' });
  assert.deepEqual(routes(t, ['/.well-known/acme', '/Xwell-known/acme', '/st.tic/a', '/stXtic/a']), [
    ['/.well-known/acme', 0, 'wk/acme'],
    ['/Xwell-known/acme', null],
    ['/st.tic/a', 1, 'st/a'],
    ['/stXtic/a', null],
  ]);
});

test('§2.1: the first match wins; match(path, from) continues after a declined handler', () => {
  const t = table(files('/img/(.*)', 'img/\\1'), { url: '/img', static_dir: 'fallback' }, script('/img/.*', 'img.app'), script('/.*', 'main.app'));
  assert.deepEqual(routes(t, ['/img/a.png', '/other']), [['/img/a.png', 0, 'img/a.png'], ['/other', 3, 'main.app']]);
  assert.deepEqual([1, 2, 3].map((from) => [t.match('/img/a.png', from)?.handler.index, t.match('/img/a.png', from)?.target]), [
    [1, 'fallback/a.png'],
    [2, 'img.app'],
    [3, 'main.app'],
  ]);
  assert.equal(t.match('/img/a.png', 4), undefined);
});

const PREFIXES: Array<[string, string]> = [
  ['/static/(.*)', '/static/'],
  ['/foo\\.bar/x', '/foo.bar/x'],
  ['/ab?c', '/a'],
  ['/a*', '/'],
  ['/x{2}', '/'],
  ['/a[bc]', '/a'],
  ['/a\\d', '/a'],
  ['/x/(?P<n>.*)', '/x/'],
  ['/a(b|c)', '/a'],
  ['/[|]x', '/'],
  ['/a\\.', '/a.'],
  ['/a|/b', ''],
  ['(/a|/b)', ''],
  ['/a\\|b/c|d', ''],
  ['.*', ''],
  ['/exact', '/exact'],
];

test('literalPrefix: the fixed text every match starts with', () => {
  assert.deepEqual(PREFIXES.map(([p]) => [p, literalPrefix(p)]), PREFIXES);
});

test('literalPrefix never excludes a path the pattern matches', () => {
  for (const [pattern, path] of [['/ab?c', '/ac'], ['/a|/b', '/b'], ['/x{2}', '/xx'], ['/a\\|b/c|d', 'd'], ['/[|]x', '/|x']] as const) {
    assert.ok(compileUrlPattern(pattern).match(path), `${pattern} matches ${path}`);
    assert.ok(path.startsWith(literalPrefix(pattern)), `${pattern}: prefix ${literalPrefix(pattern)} vs ${path}`);
  }
});

const SUFFIXES: Array<[string, string]> = [
  ['/(.*)\\.ext12', '.ext12'],
  ['/(.*\\.(png|jpg))', ''],
  ['/static/(.*)', ''],
  ['/exact', '/exact'],
  ['/a(b)c', 'c'],
  ['/ab?', ''],
  ['/x{2}y', 'y'],
  ['/(\\w+)\\.css', '.css'],
  ['/[a-z]+\\.js', '.js'],
  ['/[]x]z', 'z'],
  ['/\\d+px', 'px'],
  ['/a\\x41', ''],
  ['/(?i)abc', ''],
  ['/n/(?P<name>\\w+)\\.txt', ''],
  ['/a|/b', ''],
  ['/(.*)/(.*)', ''],
  ['/x.y', 'y'],
  ['/x$', ''],
];

test('literalSuffix: the fixed text every match ends with', () => {
  assert.deepEqual(SUFFIXES.map(([p]) => [p, literalSuffix(p)]), SUFFIXES);
});

test('literalSuffix never excludes a path the pattern matches', () => {
  const pairs = [
    ['/(.*)\\.ext12', '/a/b.ext12'], ['/x{2}y', '/xxy'], ['/(\\w+)\\.css', '/site.css'], ['/[]x]z', '/]z'],
    ['/a(b)c', '/abc'], ['/ab?', '/a'], ['/\\d+px', '/12px'], ['/x.y', '/x-y'],
  ] as const;
  for (const [pattern, path] of pairs) {
    assert.ok(compileUrlPattern(pattern).match(path), `${pattern} matches ${path}`);
    assert.ok(path.endsWith(literalSuffix(pattern)), `${pattern}: suffix ${literalSuffix(pattern)} vs ${path}`);
  }
});

test('a handler whose url starts with a construct is skipped by its suffix, and still matches', () => {
  const routes = table(
    { url: '/(.*)\\.ext1', static_files: 'static/\\1.ext1', upload: 'static/.*\\.ext1' },
    { url: '/(.*)\\.txt', static_files: 'static/\\1.txt', upload: 'static/.*\\.txt' },
  );
  assert.equal(routes.match('/dir/1k.txt')?.target, 'static/dir/1k.txt');
  assert.equal(routes.match('/dir/1k.ext1')?.target, 'static/dir/1k.ext1');
  assert.equal(routes.match('/dir/1k.ext2'), undefined);
});

test('engines: /(.*)/(.*) runs on the linear-time engine, /static/(.*) on V8', () => {
  assert.equal(compileUrlPattern('/(.*)/(.*)').engine, 'linear');
  assert.equal(compileUrlPattern('/static/(.*)').engine, 'v8');
  assert.equal(table({ url: '/static', static_dir: 'static' }).handlers[0]!.pattern.engine, 'v8');
});

// Every url accepted anywhere in these tests or the config tests, plus polynomial shapes.
const ACCEPTED_URLS = [
  ...VALID_URLS, '/(.*)/(.*)', '/static/(.*)', '/(.*\\.(png|jpg))$', '/(\\w+)/(\\d+)', '/opt(/x)?/(y)', '/n/(?P<name>\\w+)/(\\d+)',
  '/_ah/remote_api(/.*)?', '/_ah/stats.*', '/a|/b', '/x(/c|/d)', '/img/(.*)', '/.*', '/hello', '/a\\?x=1', '/(.*)/(.*)/(.*)', '/a/.*/b/.*/c',
  '/(.*)a(.*)b(.*)c', '/a{,5}', '/\\.well-known/(.*)',
];
const HOSTILE = [
  { name: '64 KiB of slashes and a newline', path: `/${'/'.repeat(65536)}\n` },
  { name: '64 KiB of a and a !', path: `/${'a'.repeat(65536)}!` },
  { name: '32 Ki "a/" and a !', path: `/${'a/'.repeat(32768)}!` },
];

test('bounded time: 64 KiB hostile paths against every accepted pattern', () => {
  const start = performance.now();
  const results: Record<string, string[]> = {};
  for (const url of ACCEPTED_URLS) {
    const pattern = compileUrlPattern(url);
    results[url] = HOSTILE.filter((h) => pattern.match(h.path) !== null).map((h) => h.name);
  }
  const elapsed = performance.now() - start;
  // What matches: catch-alls over non-newline text, and the two-segment patterns on "a/a/…!".
  const any = [HOSTILE[1]!.name, HOSTILE[2]!.name];
  const expected: Record<string, string[]> = Object.fromEntries(ACCEPTED_URLS.map((u) => [u, []]));
  Object.assign(expected, {
    '.*': any, '(/.*)': any, '/.*': any, '/(.*)$': any,
    '/(.*)/(.*)': [HOSTILE[2]!.name], '/(.*)/(.*)/(.*)': [HOSTILE[2]!.name],
  });
  assert.deepEqual(results, expected);
  assert.ok(elapsed < 2000, `matching took ${Math.round(elapsed)} ms`);
});

test('bounded time: the route table on hostile paths', () => {
  const t = table({ url: '/static', static_dir: 'static' }, files('/(.*)/(.*)', 'static/\\1/\\2'), script('/(\\w+)/(\\d+)', '\\1.app'));
  const start = performance.now();
  assert.deepEqual(routes(t, [HOSTILE[0]!.path, HOSTILE[1]!.path]), [[HOSTILE[0]!.path, null], [HOSTILE[1]!.path, null]]);
  const m = t.match(`/static/${'x'.repeat(65536)}`);
  assert.deepEqual([m?.handler.index, m?.target.length], [0, 'static/'.length + 65536]);
  assert.ok(performance.now() - start < 2000);
});
