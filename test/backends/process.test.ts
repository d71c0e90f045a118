/**
 * Spawning children: own process group stopped as a whole, a minimal environment, no shell,
 * output captured line by line with tags, and spawn failures reported, never thrown.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonLogger } from '../../lib/envelope/logger.js';
import { inheritedEnvironment, MAX_LINE_BYTES, spawnProcess } from '../../lib/backends/process.js';
import { LineSplitter } from '../../lib/backends/lines.js';
import { waitFor } from './harness.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: jsonLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } }) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('spawnProcess', () => {
  test('stop() ends the whole process group, grandchildren included', async () => {
    const { lines, logger } = capture();
    // The shell starts a grandchild and reports its pid; ignoring TERM makes SIGKILL necessary.
    const proc = spawnProcess({
      command: '/bin/sh',
      args: ['-c', "trap '' TERM; sleep 30 & echo $!; wait"],
      cwd: '/',
      logger,
      stopGrace: 200,
    });
    await waitFor(() => lines.length > 0, 3000, 'the grandchild pid');
    const grandchild = Number(lines[0]!.message);
    assert.ok(alive(grandchild));
    const started = Date.now();
    const status = await proc.stop();
    assert.equal(status.signal, 'SIGKILL', 'TERM was ignored, so KILL after the grace period');
    assert.ok(Date.now() - started >= 150);
    await waitFor(() => !alive(grandchild), 2000, 'the grandchild to die');
    assert.throws(() => process.kill(-proc.pid!, 0), { code: 'ESRCH' });
  });

  test('the environment is an allow-list plus what the caller gives', async () => {
    process.env.APPYAML_TEST_TOKEN = 'secret';
    const { lines, logger } = capture();
    const proc = spawnProcess({ command: 'env', args: [], cwd: '/', env: { EXTRA: '1' }, logger });
    delete process.env.APPYAML_TEST_TOKEN;
    await proc.exited;
    await waitFor(() => lines.some((l) => l.message === 'EXTRA=1'), 1000, 'env output');
    const names = lines.map((l) => String(l.message).split('=')[0]);
    assert.ok(!names.includes('APPYAML_TEST_TOKEN'));
    assert.ok(names.includes('PATH'));
    for (const name of names) assert.match(name!, /^(PATH|HOME|LANG|LANGUAGE|TZ|TMPDIR|LC_[A-Z]+|EXTRA)$/);
    assert.deepEqual(Object.keys(inheritedEnvironment({ PATH: '/bin', AWS_SECRET_ACCESS_KEY: 'x', LC_ALL: 'C' })), ['PATH', 'LC_ALL']);
  });

  test('arguments reach the program as they are, never through a shell', async () => {
    const { lines, logger } = capture();
    const proc = spawnProcess({ command: 'printf', args: ['%s\\n', '$(id); `id` | x'], cwd: '/', logger });
    await proc.exited;
    await waitFor(() => lines.length > 0, 1000, 'output');
    assert.equal(lines[0]!.message, '$(id); `id` | x');
  });

  test('stdout and stderr lines are logged with their stream, severity and tags; long lines are cut', async () => {
    const { lines, logger } = capture();
    const proc = spawnProcess({
      command: '/bin/sh',
      args: ['-c', `echo out; echo err >&2; head -c ${MAX_LINE_BYTES + 100} /dev/zero | tr '\\0' a; echo; printf tail`],
      cwd: '/',
      logger,
      tags: { instance: 'i1' },
    });
    await proc.exited;
    await waitFor(() => lines.some((l) => l.message === 'tail'), 1000, 'the last line');
    const out = lines.find((l) => l.message === 'out')!;
    assert.equal(out.severity, 'INFO');
    assert.equal(out.stream, 'stdout');
    assert.equal(out.instance, 'i1');
    const err = lines.find((l) => l.message === 'err')!;
    assert.equal(err.severity, 'ERROR');
    assert.equal(err.stream, 'stderr');
    const long = lines.find((l) => String(l.message).startsWith('aaa'))!;
    assert.equal(String(long.message).length, MAX_LINE_BYTES);
    assert.equal(long.truncated, true);
  });

  test('a program that cannot be started is reported through exited', async () => {
    const { logger } = capture();
    const proc = spawnProcess({ command: '/nonexistent/program', args: [], cwd: '/', logger });
    assert.equal(proc.pid, undefined);
    const status = await proc.exited;
    assert.match(String(status.error?.message), /ENOENT/);
    assert.equal(proc.running, false);
    await proc.stop();
  });
});

describe('LineSplitter', () => {
  test('splits across chunks, drops CR before LF, keeps UTF-8 characters cut between chunks', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(100, (line) => lines.push(line));
    const text = Buffer.from('one\r\ntwé\nthree', 'utf8');
    for (const byte of text) splitter.push(Buffer.from([byte]));
    splitter.end();
    assert.deepEqual(lines, ['one', 'twé', 'three']);
  });
});
