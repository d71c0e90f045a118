/**
 * The proxy's upstream response parser: what it relays, and every framing it refuses rather than
 * guess at (security.md §1.5, §2.4 rows 94–98). Each response is also fed one byte at a time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResponseParser } from '../../lib/backends/proxy/response-parser.js';

interface Parsed {
  status?: number;
  reason?: string;
  headers?: string[];
  body: string;
  reusable?: boolean;
  error?: string;
  heads: number;
}

function parse(raw: string, options: { bodiless?: boolean; close?: boolean; bytewise?: boolean } = {}): Parsed {
  const out: Parsed = { body: '', heads: 0 };
  const parser = new ResponseParser(
    {
      head: (status, reason, headers) => {
        out.heads++;
        Object.assign(out, { status, reason, headers });
      },
      body: (chunk) => (out.body += chunk.toString('latin1')),
      end: (reusable) => {
        assert.equal(out.reusable, undefined, 'end is told once');
        out.reusable = reusable;
      },
      error: (message) => {
        assert.equal(out.error, undefined, 'error is told once');
        out.error = message;
      },
    },
    options.bodiless ?? false,
  );
  const bytes = Buffer.from(raw, 'latin1');
  if (options.bytewise) for (let i = 0; i < bytes.length; i++) parser.push(bytes.subarray(i, i + 1));
  else parser.push(bytes);
  if (options.close) parser.close();
  return out;
}

function both(raw: string, options: { bodiless?: boolean; close?: boolean } = {}): Parsed {
  const whole = parse(raw, options);
  assert.deepEqual(parse(raw, { ...options, bytewise: true }), whole, 'the same, fed byte by byte');
  return whole;
}

describe('responses relayed', () => {
  test('Content-Length: body, headers as sent, reusable', () => {
    const r = both('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello');
    assert.deepEqual([r.status, r.reason, r.body, r.reusable, r.error], [200, 'OK', 'hello', true, undefined]);
    assert.deepEqual(r.headers, ['Content-Length', '5', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });

  test('chunked with extensions and trailers: de-chunked', () => {
    const r = both('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
    assert.deepEqual([r.body, r.reusable, r.error], ['hello world', true, undefined]);
  });

  test('no length: the body runs to the close, and the connection is not reused', () => {
    const r = both('HTTP/1.1 200 OK\r\n\r\nuntil close', { close: true });
    assert.deepEqual([r.body, r.reusable, r.error], ['until close', false, undefined]);
  });

  test('Connection: close, or HTTP/1.0: not reused', () => {
    assert.equal(both('HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n').reusable, false);
    assert.equal(both('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').reusable, false);
  });

  test('HEAD, 204 and 304 have no body whatever their headers say', () => {
    assert.deepEqual(both('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', { bodiless: true }).reusable, true);
    assert.deepEqual(both('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n').body, '');
    assert.deepEqual(both('HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n').reusable, true);
  });

  test('100 Continue and 103 Early Hints are skipped; the final response is relayed', () => {
    const r = both('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
    assert.deepEqual([r.heads, r.status, r.body, r.reusable], [1, 201, 'ok', true]);
  });

  test('bytes read with the end of a response: the connection is not reused', () => {
    // (Bytes arriving later, on an idle connection, close it: see UpstreamConnection.)
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA').reusable, false);
  });
});

describe('framings refused (502 before the head, a cut connection after it)', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['Content-Length and Transfer-Encoding together', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /both Content-Length and Transfer-Encoding/],
    ['conflicting Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', /conflicting Content-Length/],
    ['a non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello', /invalid or conflicting Content-Length/],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', /transfer coding other than chunked/],
    ['a folded header', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n', /folded/],
    ['a bare LF inside the head', 'HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 0\r\n\r\n', /invalid header line/],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n', /invalid header line/],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n', /invalid header line/],
    ['an invalid status line', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n', /invalid status line/],
    ['HTTP/2 on the wire', 'HTTP/2 200\r\n\r\n', /invalid status line/],
    ['an unsolicited 101', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /101/],
    ['a chunk longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n', /longer than its size/],
    ['a 16-hex-digit chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\nx', /invalid chunk size/],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size/],
  ];
  for (const [what, raw, message] of refused) {
    test(what, () => {
      const r = both(raw);
      assert.match(r.error ?? '', message);
      assert.equal(r.reusable, undefined, 'never completed');
    });
  }

  test('a close before the response is complete', () => {
    assert.match(both('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello', { close: true }).error ?? '', /before the response was complete/);
    assert.match(both('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', { close: true }).error ?? '', /before the response was complete/);
    assert.match(both('', { close: true }).error ?? '', /without a response/);
  });

  test('a head over 64 KiB', () => {
    const r = parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
    assert.match(r.error ?? '', /over 64 KiB/);
  });
});
