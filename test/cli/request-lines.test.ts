/** The readable logger `appyaml serve` prints through: request lines, app lines, colour on request only. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readableLogger } from '../../lib/cli/request-lines.js';

function capture(color: boolean): { lines: string[]; logger: ReturnType<typeof readableLogger> } {
  const lines: string[] = [];
  const logger = readableLogger({ color, destination: { write: (l: string) => lines.push(l) }, handlerOf: (id) => (id === 'abc' ? 'static_dir #2' : undefined) });
  return { lines, logger };
}

const request = (status: number, extra: Record<string, unknown> = {}) => ({
  requestId: 'abc',
  httpRequest: { requestMethod: 'GET', requestUrl: 'http://localhost:8080/a/b?x=1', status, responseSize: '1500', latency: '0.002500s' },
  ...extra,
});

test('a request line: status, method, path and query, handler, latency, size; the id only on errors', () => {
  const { lines, logger } = capture(false);
  logger.info(request(200), 'GET / 200');
  logger.warn(request(404), 'GET / 404');
  logger.error(request(500, { abort: 'deadline' }), 'GET / 500');
  assert.deepEqual(lines, [
    '200  GET     /a/b?x=1                  static_dir #2  2.5 ms  1.5 kB\n',
    '404  GET     /a/b?x=1                  static_dir #2  2.5 ms  1.5 kB  request abc\n',
    '500  GET     /a/b?x=1                  static_dir #2  2.5 ms  1.5 kB deadline  request abc\n',
  ]);
});

test('app lines are indented, labelled by stream or severity, with the request id they belong to', () => {
  const { lines, logger } = capture(false);
  logger.child({ requestId: 'r1' }).error({ stream: 'stderr' }, 'Traceback (most recent call last):');
  logger.warn({}, 'liveness_check failed');
  assert.deepEqual(lines, ['  stderr  Traceback (most recent call last):  request r1\n', '  WARNING liveness_check failed\n']);
});

test('colour only when asked: green 2xx, yellow 4xx, red 5xx', () => {
  const { lines, logger } = capture(true);
  logger.info(request(200), '');
  logger.warn(request(404), '');
  logger.error(request(503), '');
  assert.deepEqual(lines.map((l) => l.slice(0, 12)), ['\x1b[32m200\x1b[0m', '\x1b[33m404\x1b[0m', '\x1b[31m503\x1b[0m']);
  const plain = capture(false);
  plain.logger.error(request(503), '');
  assert.equal(plain.lines[0]!.includes('\x1b'), false);
});
