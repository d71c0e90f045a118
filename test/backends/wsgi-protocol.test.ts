/**
 * Node's side of the bridge protocol on its own: frame reassembly, and the second check of
 * status lines and headers (the bridge is the app's process: what it says is not trusted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeFrame, Frame, FrameDecoder, ProtocolError } from '../../lib/backends/wsgi/frames.js';
import { parseHead } from '../../lib/backends/wsgi/response.js';

describe('frames', () => {
  test('frames split at every byte, or packed together, decode the same', () => {
    const frames = [encodeFrame(Frame.Start, 7, '200 OK\0A\0b'), encodeFrame(Frame.Finished, 7), encodeFrame(Frame.Data, 9, Buffer.alloc(70_000, 1))];
    const wire = Buffer.concat(frames);
    for (const step of [1, 5, 9, 64 * 1024, wire.length]) {
      const got: Array<[number, number, number]> = [];
      const decoder = new FrameDecoder(1 << 20, (type, id, payload) => got.push([type, id, payload.length]));
      for (let at = 0; at < wire.length; at += step) decoder.push(wire.subarray(at, at + step));
      assert.deepEqual(got, [
        [Frame.Start, 7, 10],
        [Frame.Finished, 7, 0],
        [Frame.Data, 9, 70_000],
      ]);
    }
  });

  test('a frame larger than the limit is a protocol error', () => {
    const decoder = new FrameDecoder(1024, () => {});
    assert.throws(() => decoder.push(encodeFrame(Frame.Data, 1, Buffer.alloc(2048))), ProtocolError);
  });
});

describe('response heads', () => {
  const head = (...fields: string[]) => parseHead(Buffer.from(fields.join('\0'), 'latin1'));

  test('a valid head, Content-Length taken apart', () => {
    assert.deepEqual(head('201 Created', 'Content-Type', 'text/plain', 'Content-Length', '5', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'), {
      status: 201,
      reason: 'Created',
      headers: ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
      contentLength: 5,
    });
    assert.deepEqual(head('200 caf\xe9', 'X', 'caf\xe9\tau lait'), { status: 200, reason: 'caf\xe9', headers: ['X', 'caf\xe9\tau lait'], contentLength: undefined });
  });

  const bad: Array<[string, string[]]> = [
    ['status without a reason separator', ['200OK']],
    ['four-digit status', ['2000 X']],
    ['1xx status', ['101 Switching Protocols']],
    ['status with CR', ['200 OK\r']],
    ['CR LF in a value', ['200 OK', 'X-A', 'a\r\nSet-Cookie: x=1']],
    ['NUL-free but LF in a value', ['200 OK', 'X-A', 'a\nb']],
    ['a space in a name', ['200 OK', 'Bad Name', 'v']],
    ['an empty name', ['200 OK', '', 'v']],
    ['Connection', ['200 OK', 'Connection', 'close']],
    ['Transfer-Encoding', ['200 OK', 'Transfer-Encoding', 'chunked']],
    ['Upgrade', ['200 OK', 'Upgrade', 'websocket']],
    ['two different Content-Lengths', ['200 OK', 'Content-Length', '1', 'Content-Length', '2']],
    ['a non-numeric Content-Length', ['200 OK', 'Content-Length', '1e3']],
    ['a dangling header name', ['200 OK', 'X-A']],
  ];
  for (const [name, fields] of bad) {
    test(`refused: ${name}`, () => {
      assert.equal(typeof head(...fields), 'string');
    });
  }
});
