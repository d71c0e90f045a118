import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRequestPath, DEFAULT_MAX_PATH_LENGTH } from '../../lib/envelope/request-path.js';

const ok = (path: string, query = '') => ({ kind: 'ok', path, query });
const reject = (status: number) => ({ kind: 'reject', status });
const redirect = (location: string) => ({ kind: 'redirect', location });

describe('decodeRequestPath', { timeout: 5000 }, () => {
  it('passes plain paths through and splits the query off', () => {
    assert.deepEqual(decodeRequestPath('/'), ok('/'));
    assert.deepEqual(decodeRequestPath('/static/app.css'), ok('/static/app.css'));
    assert.deepEqual(decodeRequestPath('/a?b=1&c=%2F'), ok('/a', 'b=1&c=%2F'));
    assert.deepEqual(decodeRequestPath('/a?'), ok('/a', ''));
    assert.deepEqual(decodeRequestPath('/a?x=/../y'), ok('/a', 'x=/../y'));
  });

  it('decodes exactly once', () => {
    assert.deepEqual(decodeRequestPath('/a%20b'), ok('/a b'));
    assert.deepEqual(decodeRequestPath('/caf%C3%A9'), ok('/café'));
    assert.deepEqual(decodeRequestPath('/static/a%3Fb.txt'), ok('/static/a?b.txt'));
    assert.deepEqual(decodeRequestPath('/static/%252e%252e/app.yaml'), ok('/static/%2e%2e/app.yaml'));
    assert.deepEqual(decodeRequestPath('/%25'), ok('/%'));
  });

  it('keeps repeated slashes and names that merely contain dots', () => {
    assert.deepEqual(decodeRequestPath('/a//b'), ok('/a//b'));
    assert.deepEqual(decodeRequestPath('/static/a..b.txt'), ok('/static/a..b.txt'));
    assert.deepEqual(decodeRequestPath('/.well-known/x'), ok('/.well-known/x'));
    assert.deepEqual(decodeRequestPath('/a/...'), ok('/a/...'));
    assert.deepEqual(decodeRequestPath('/a/%2e%2e%2e'), ok('/a/...'));
    assert.deepEqual(decodeRequestPath('/a/.%2ex'), ok('/a/..x'));
  });

  it('rejects malformed encoding and invalid UTF-8 with 400', () => {
    for (const target of ['/a%', '/a%2', '/a%zz', '/static/.%%32%65/x', '/%c0%ae%c0%ae/app.yaml', '/..%c0%afapp.yaml', '/%ed%a0%80', '/%ff']) {
      assert.deepEqual(decodeRequestPath(target), reject(400), target);
    }
  });

  it('rejects NUL, control characters and backslashes, raw or encoded, with 400', () => {
    for (const target of ['/a%00', '/static/a.txt%00.png', '/a\0b', '/a%0ab', '/a%7f', '/a\\b', '/a%5cb', '/a%5C..%5Cb', '/a\tb', '/a b', '/é']) {
      assert.deepEqual(decodeRequestPath(target), reject(400), JSON.stringify(target));
    }
  });

  it('rejects an encoded slash with 400', () => {
    assert.deepEqual(decodeRequestPath('/static/..%2fapp.yaml'), reject(400));
    assert.deepEqual(decodeRequestPath('/img/..%2F..%2Fapp.yaml'), reject(400));
    assert.deepEqual(decodeRequestPath('/a%2Fb'), reject(400));
  });

  it('rejects encoded dot segments with 400, in any case and mix', () => {
    for (const seg of ['%2e', '%2E', '%2e%2e', '%2E%2e', '.%2e', '%2e.', '.%2E']) {
      assert.deepEqual(decodeRequestPath(`/static/${seg}/app.yaml`), reject(400), seg);
      assert.deepEqual(decodeRequestPath(`/static/${seg}`), reject(400), seg);
    }
    // A 400 wins over a redirect for a literal dot segment elsewhere in the path.
    assert.deepEqual(decodeRequestPath('/a/../%2e%2e/b'), reject(400));
  });

  it('redirects literal dot segments to the normalised path, keeping the query', () => {
    assert.deepEqual(decodeRequestPath('/a/../b?q=1'), redirect('/b?q=1'));
    assert.deepEqual(decodeRequestPath('/static/../app.yaml'), redirect('/app.yaml'));
    assert.deepEqual(decodeRequestPath('/static/sub/./x.txt'), redirect('/static/sub/x.txt'));
    assert.deepEqual(decodeRequestPath('/static/x.txt/..'), redirect('/static/'));
    assert.deepEqual(decodeRequestPath('/a/.'), redirect('/a/'));
    assert.deepEqual(decodeRequestPath('/..'), redirect('/'));
    assert.deepEqual(decodeRequestPath('/../../x'), redirect('/x'));
    assert.deepEqual(decodeRequestPath('/a/b/c/./../../g'), redirect('/a/g'));
    assert.deepEqual(decodeRequestPath('/a//b/./c'), redirect('/a//b/c'));
    // Other segments keep their encoding.
    assert.deepEqual(decodeRequestPath('/a%20b/./c'), redirect('/a%20b/c'));
  });

  it('never redirects to another host', () => {
    assert.deepEqual(decodeRequestPath('//evil.example/./x'), redirect('/evil.example/x'));
    assert.deepEqual(decodeRequestPath('/.//evil.example/x'), redirect('/evil.example/x'));
    assert.deepEqual(decodeRequestPath('///a/../b'), redirect('/b'));
  });

  it('escapes characters that do not belong in a Location', () => {
    assert.deepEqual(decodeRequestPath('/"><script>/./x?a="<b>'), redirect('/%22%3E%3Cscript%3E/x?a=%22%3Cb%3E'));
    assert.deepEqual(decodeRequestPath('/a#b/./c'), redirect('/a%23b/c'));
  });

  it('answers 414 for paths over the limit, query excluded', () => {
    const limit = '/' + 'a'.repeat(DEFAULT_MAX_PATH_LENGTH - 1);
    assert.equal(decodeRequestPath(limit).kind, 'ok');
    assert.deepEqual(decodeRequestPath(limit + 'a'), reject(414));
    assert.deepEqual(decodeRequestPath(`${limit}?${'q'.repeat(10000)}`).kind, 'ok');
    assert.deepEqual(decodeRequestPath('/abcdef', 5), reject(414));
    // The length check comes first, even for a path that would be a 400.
    assert.deepEqual(decodeRequestPath('/%zz' + 'a'.repeat(20), 10), reject(414));
  });

  it('accepts absolute-form targets and refuses other forms', () => {
    assert.deepEqual(decodeRequestPath('http://example.test/a/b?c'), ok('/a/b', 'c'));
    assert.deepEqual(decodeRequestPath('https://example.test'), ok('/'));
    assert.deepEqual(decodeRequestPath('http://example.test?x'), ok('/', 'x'));
    assert.deepEqual(decodeRequestPath('*'), reject(400));
    assert.deepEqual(decodeRequestPath(''), reject(400));
    assert.deepEqual(decodeRequestPath('a/b'), reject(400));
  });
});
