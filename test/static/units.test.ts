/** The pure parts of the static engine: HTTP-dates, preconditions, ranges, the file scope. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAppYaml } from '../../lib/config/load.js';
import { evaluatePreconditions, ifRangeHolds, type Validators } from '../../lib/handlers/static/conditional.js';
import { fileScope } from '../../lib/handlers/static/file-scope.js';
import { ExpiresClock, formatHttpDate, parseHttpDate } from '../../lib/handlers/static/http-date.js';
import { evaluateRange } from '../../lib/handlers/static/range.js';

const T = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('HTTP-dates', { timeout: 5000 }, () => {
  it('parses the three forms RFC 9110 requires, in UTC', () => {
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), T);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), T);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), T);
  });

  it('rejects everything else', () => {
    for (const value of ['', 'yesterday', '1994-11-06T08:49:37Z', 'Sun, 06 Nov 1994 08:49:37 UTC', 'Sun, 6 Nov 1994 08:49:37 GMT', 'Sun, 31 Feb 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 25:49:37 GMT', 'Sun, 06 Foo 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT', ' Sun, 06 Nov 1994 08:49:37 GMT']) {
      assert.equal(parseHttpDate(value), undefined, value);
    }
  });

  it('formats IMF-fixdate in UTC and caches Expires per second', () => {
    assert.equal(formatHttpDate(T), 'Sun, 06 Nov 1994 08:49:37 GMT');
    const clock = new ExpiresClock();
    assert.equal(clock.expires(T + 999, 93784), 'Mon, 07 Nov 1994 10:52:41 GMT');
    assert.equal(clock.expires(T + 1000, 93784), 'Mon, 07 Nov 1994 10:52:42 GMT');
    assert.equal(clock.expires(T, 0), 'Sun, 06 Nov 1994 08:49:37 GMT');
  });
});

describe('preconditions', { timeout: 5000 }, () => {
  const strong: Validators = { etag: '"abc"', lastModified: T };
  const weakOwn: Validators = { etag: 'W/"abc"', lastModified: undefined };
  const eval_ = (headers: Record<string, string>, v: Validators = strong) => evaluatePreconditions(headers, v, T + 3600_000);

  it('If-Match compares strongly', () => {
    assert.equal(eval_({ 'if-match': '"abc"' }), 'proceed');
    assert.equal(eval_({ 'if-match': 'W/"abc"' }), 'precondition-failed');
    assert.equal(eval_({ 'if-match': '"abc"' }, weakOwn), 'precondition-failed', 'a weak current tag never matches strongly');
    assert.equal(eval_({ 'if-match': '*' }, weakOwn), 'proceed');
    assert.equal(eval_({ 'if-match': '"a,bc", "abc"' }), 'proceed', 'commas inside a tag do not split it');
    assert.equal(eval_({ 'if-match': '"a,bc"' }), 'precondition-failed');
  });

  it('If-None-Match compares weakly', () => {
    assert.equal(eval_({ 'if-none-match': '"abc"' }, weakOwn), 'not-modified');
    assert.equal(eval_({ 'if-none-match': 'W/"abc"' }, weakOwn), 'not-modified');
    assert.equal(eval_({ 'if-none-match': '"abcd"' }), 'proceed');
  });

  it('takes a handler ETag without quotes whole', () => {
    assert.equal(eval_({ 'if-none-match': 'v1' }, { etag: 'v1', lastModified: undefined }), 'not-modified');
    assert.equal(eval_({ 'if-match': '"v1"' }, { etag: 'v1', lastModified: undefined }), 'precondition-failed');
  });

  it('evaluates dates only against a Last-Modified', () => {
    const since = formatHttpDate(T);
    assert.equal(eval_({ 'if-modified-since': since }), 'not-modified');
    assert.equal(eval_({ 'if-modified-since': since }, weakOwn), 'proceed');
    assert.equal(eval_({ 'if-unmodified-since': formatHttpDate(T - 1000) }), 'precondition-failed');
    assert.equal(eval_({ 'if-unmodified-since': formatHttpDate(T - 1000) }, weakOwn), 'proceed');
    // Future dates are ignored: the server's clock decides.
    assert.equal(evaluatePreconditions({ 'if-modified-since': since }, strong, T - 1000), 'proceed');
  });

  it('If-Range needs a strong match or the exact date', () => {
    assert.equal(ifRangeHolds('"abc"', strong), true);
    assert.equal(ifRangeHolds('W/"abc"', strong), false);
    assert.equal(ifRangeHolds('"abc", "def"', strong), false);
    assert.equal(ifRangeHolds(formatHttpDate(T), strong), true);
    assert.equal(ifRangeHolds(formatHttpDate(T + 1000), strong), false);
    assert.equal(ifRangeHolds(formatHttpDate(T), weakOwn), false);
    assert.equal(ifRangeHolds('nonsense', strong), false);
  });
});

describe('ranges', { timeout: 5000 }, () => {
  const v = { etag: '"e"', lastModified: undefined };
  const range = (size: number, value: string) => evaluateRange(size, { range: value }, v);

  it('reads single, open and suffix ranges', () => {
    assert.deepEqual(range(10, 'bytes=2-4'), { kind: 'partial', start: 2, end: 4 });
    assert.deepEqual(range(10, 'bytes=2-'), { kind: 'partial', start: 2, end: 9 });
    assert.deepEqual(range(10, 'bytes=-3'), { kind: 'partial', start: 7, end: 9 });
    assert.deepEqual(range(10, 'bytes=-30'), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(range(10, 'bytes=8-99999999999999999999'), { kind: 'partial', start: 8, end: 9 });
  });

  it('drops unsatisfiable members and combines the rest', () => {
    assert.deepEqual(range(10, 'bytes=20-30, 1-2'), { kind: 'partial', start: 1, end: 2 });
    assert.deepEqual(range(10, 'bytes=4-6,0-3,7-'), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(range(10, 'bytes=0-1,3-4'), { kind: 'full' });
    assert.deepEqual(range(10, 'bytes=20-30'), { kind: 'unsatisfiable' });
  });

  it('sends empty files whole', () => {
    assert.deepEqual(range(0, 'bytes=0-'), { kind: 'full' });
    assert.deepEqual(range(0, 'bytes=-5'), { kind: 'full' });
  });

  it('ignores invalid syntax', () => {
    for (const value of ['bytes=', 'bytes=a-b', 'bytes=3-1', 'bytes=1', 'bytes=-', 'bytes=1 -2', 'chars=0-1', '0-1']) {
      assert.deepEqual(range(10, value), { kind: 'full' }, value);
    }
  });
});

describe('file scope', { timeout: 5000 }, () => {
  const scope = fileScope(
    loadAppYaml({
      root: '/app',
      config: String.raw`
runtime: python312
handlers:
- url: /a
  static_dir: static/a
- url: /b
  static_dir: static/b/deep
- url: /img/(.*)
  static_files: images/\1
  upload: images/.*\.png
- url: /top
  static_files: top.txt
  upload: top\.txt
`,
    }),
  );

  it('knows which files a handler can serve', () => {
    assert.deepEqual(scope.bases, [''], 'top.txt is at the root, so the whole app is walked');
    assert.equal(scope.candidate('static/a/x.css'), true);
    assert.equal(scope.candidate('images/x.png'), true);
    assert.equal(scope.candidate('images/x.gif'), false);
    assert.equal(scope.candidate('top.txt'), true);
    assert.equal(scope.candidate('main.py'), false);
  });

  it('skips what the default skip_files skips', () => {
    for (const path of ['.env', 'static/.git/config', 'static/a/x~', 'x.pyc', 'a/RCS/b', '#x#']) assert.equal(scope.skipped(path), true, path);
    assert.equal(scope.skipped('static/a/x.css'), false);
  });

  it('narrows the walk when no handler serves from the root', () => {
    const narrow = fileScope(
      loadAppYaml({
        root: '/app',
        config: String.raw`
runtime: python312
handlers:
- url: /a
  static_dir: static/a
- url: /b
  static_dir: static
- url: /img/(.*)
  static_files: images/\1
  upload: images/png/.*\.png
`,
      }),
    );
    assert.deepEqual(narrow.bases, ['static/', 'images/png/']);
    assert.equal(narrow.mayContain('static'), true);
    assert.equal(narrow.mayContain('static/a/deep'), true);
    assert.equal(narrow.mayContain('venv'), false);
    assert.equal(narrow.mayContain('staticfoo'), false);
    assert.equal(narrow.mayContain('images'), true);
    assert.equal(narrow.mayContain('images/gif'), false);
  });
});
