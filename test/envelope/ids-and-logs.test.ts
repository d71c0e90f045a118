import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import pino from 'pino';
import { loadAppYaml } from '../../lib/config/load.js';
import { compileEnvironment } from '../../lib/envelope/environment.js';
import type { Logger } from '../../lib/envelope/logger.js';
import { jsonLogger, requestLogger } from '../../lib/envelope/logger.js';
import { newRequestLogId, parseTraceContext, requestIdHash } from '../../lib/envelope/request-id.js';
import { get, rawRequest, startServer, waitFor, type TestServer } from './envelope-harness.js';

describe('request ids', () => {
  it('REQUEST_ID_HASH is %08X of crc32', () => {
    assert.equal(requestIdHash('123456789'), 'CBF43926');
    assert.equal(requestIdHash(''), '00000000');
    const id = newRequestLogId();
    assert.equal(requestIdHash(id), (zlib as unknown as { crc32(s: string): number }).crc32(id).toString(16).toUpperCase().padStart(8, '0'));
  });

  it('log ids are long hex, unique, and sort by time', async () => {
    const first = newRequestLogId();
    await new Promise((r) => setTimeout(r, 5));
    const ids = Array.from({ length: 1000 }, newRequestLogId);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.ok(ids.every((id) => id > first), 'later ids sort after earlier ones');
    assert.ok(Math.abs(parseInt(first.slice(0, 8), 16) - Date.now() / 1000) < 5, 'starts with the Unix time in seconds');
  });

  it('parses trace contexts strictly', () => {
    assert.deepEqual(parseTraceContext('105445AA7843BC8BF206B12000100000/123;o=0'), { traceId: '105445aa7843bc8bf206b12000100000', spanId: '123', sampled: false });
    assert.deepEqual(parseTraceContext('105445aa7843bc8bf206b12000100000/18446744073709551615'), { traceId: '105445aa7843bc8bf206b12000100000', spanId: '18446744073709551615', sampled: false });
    for (const bad of [undefined, '', '105445aa7843bc8bf206b1200010000/1', '105445aa7843bc8bf206b12000100000/', '105445aa7843bc8bf206b12000100000/1;o=x', '105445aa7843bc8bf206b12000100000/1 extra']) {
      assert.equal(parseTraceContext(bad), undefined, String(bad));
    }
  });
});

describe('ids agree across the header, req.appEngine, the log lines and the environment', { timeout: 10_000 }, () => {
  let server: TestServer;
  const config = loadAppYaml({ root: '/tmp', config: { runtime: 'python27', api_version: '1', threadsafe: true, handlers: [{ url: '/.*', script: 'main.app' }] } });
  const environment = compileEnvironment(config, { project: 'my-app' });
  let environ: Record<string, string> = {};
  before(async () => {
    server = await startServer(
      (req, res) => {
        environ = environment.request(req);
        requestLogger(req).info({ step: 'handler' }, 'hello from the app');
        res.end(JSON.stringify({ header: req.headers['x-appengine-request-log-id'], facts: { ...req.appEngine, signal: undefined } }));
      },
      { project: 'my-app', trustProxy: false },
    );
  });
  after(() => server.close());

  it('one id everywhere; the request line has the httpRequest fields', async () => {
    const res = await rawRequest(server.port, get('/some/path?x=1', ['User-Agent: test-agent/1.0', 'Referer: http://ref.test/']));
    assert.equal(res.status, 200);
    const { header, facts } = JSON.parse(res.body);
    assert.equal(facts.requestLogId, header);
    assert.equal(facts.requestIdHash, requestIdHash(header));
    assert.equal(environ.REQUEST_LOG_ID, header);
    assert.equal(environ.REQUEST_ID_HASH, requestIdHash(header));
    assert.equal(environ.HTTPS, 'off');
    assert.equal(environ.DEFAULT_VERSION_HOSTNAME, 'my-app.appspot.com');
    assert.equal(environ.USER_IS_ADMIN, '0');

    await waitFor(() => server.logs.filter((l) => l.requestId === header).length === 2);
    const [appLine, requestLine] = server.logs.filter((l) => l.requestId === header);
    const trace = `projects/my-app/traces/${facts.trace.traceId}`;
    assert.equal(appLine!.message, 'hello from the app');
    assert.equal(appLine!.severity, 'INFO');
    assert.equal(appLine!.step, 'handler');
    assert.equal(appLine!['logging.googleapis.com/trace'], trace);
    assert.equal(requestLine!['logging.googleapis.com/trace'], trace);
    assert.equal(requestLine!['logging.googleapis.com/spanId'], BigInt(facts.trace.spanId).toString(16).padStart(16, '0'));
    assert.equal(requestLine!.severity, 'INFO');
    assert.match(String(requestLine!.time), /^\d{4}-\d\d-\d\dT/);
    const http = requestLine!.httpRequest as Record<string, unknown>;
    assert.equal(http.requestMethod, 'GET');
    assert.equal(http.requestUrl, 'http://app.test/some/path?x=1');
    assert.equal(http.status, 200);
    assert.equal(http.userAgent, 'test-agent/1.0');
    assert.equal(http.referer, 'http://ref.test/');
    assert.equal(http.remoteIp, '127.0.0.1');
    assert.equal(http.protocol, 'HTTP/1.1');
    assert.match(String(http.latency), /^\d+\.\d{6}s$/);
    assert.equal(http.responseSize, String(Buffer.byteLength(res.text, 'latin1')));
    assert.ok(Number(http.requestSize) > 80, `requestSize ${String(http.requestSize)}`);
  });

  it('4xx is WARNING, and every request gets a new id', async () => {
    const a = await rawRequest(server.port, get('/%'));
    assert.equal(a.status, 400);
    await waitFor(() => server.logs.some((l) => (l.httpRequest as { status?: number } | undefined)?.status === 400));
    const line = server.logs.find((l) => (l.httpRequest as { status?: number } | undefined)?.status === 400)!;
    assert.equal(line.severity, 'WARNING');
    const ids = new Set(server.logs.map((l) => l.requestId));
    assert.equal(ids.size, server.logs.filter((l) => l.httpRequest).length);
  });
});

describe('logger', () => {
  it('writes to stdout in order, across turns of the event loop, and flushes what is pending at exit', () => {
    // A child process: the default destination is the real standard output.
    const script = `
      import { jsonLogger } from './lib/envelope/logger.ts';
      const log = jsonLogger();
      log.info({ n: 1 }, 'first');
      setImmediate(() => {
        log.info({ n: 2 }, 'second');
        setTimeout(() => { log.warn({ n: 3 }, 'third'); log.error({ n: 4 }, 'last'); process.exit(0); }, 5);
      });
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { message: string; n: number });
    assert.deepEqual(lines.map((l) => [l.message, l.n]), [['first', 1], ['second', 2], ['third', 3], ['last', 4]]);
  });

  it('the default logger writes Cloud Logging severities, bindings and error stacks', () => {
    const lines: string[] = [];
    const log = jsonLogger({ destination: { write: (l: string) => lines.push(l) }, bindings: { service: 'default' } });
    log.debug({}, 'd');
    log.warn({ a: 1 }, 'w');
    log.fatal({}, 'f');
    log.info({ severity: 'NOTICE' }, 'n');
    log.child({ requestId: 'abc' }).error({ err: new Error('boom') }, 'e');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.info({ circular }, 'still logged');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    assert.deepEqual(parsed.map((p) => p.severity), ['DEBUG', 'WARNING', 'CRITICAL', 'NOTICE', 'ERROR', 'INFO']);
    assert.equal(parsed[1]!.a, 1);
    assert.equal(parsed[1]!.service, 'default');
    assert.equal(parsed[4]!.requestId, 'abc');
    assert.match(String(parsed[4]!.err), /^Error: boom\n\s+at /);
    assert.equal(parsed[5]!.message, 'still logged');
  });

  it('accepts a pino logger: the request line and requestLogger lines carry the ids', { timeout: 10_000 }, async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger: Logger = pino({ level: 'debug' }, destination);
    const server = await startServer((req, res) => {
      requestLogger(req).debug({ from: 'app' }, 'app line');
      res.end('ok');
    }, { logger, trustProxy: false });
    try {
      const res = await rawRequest(server.port, get('/p'));
      assert.equal(res.status, 200);
      await waitFor(() => lines.length >= 2);
      const [appLine, requestLine] = lines;
      assert.equal(appLine!.msg, 'app line');
      assert.equal(appLine!.from, 'app');
      assert.equal(appLine!.level, 20);
      assert.match(String(appLine!.requestId), /^[0-9a-f]{32}$/);
      assert.equal(requestLine!.requestId, appLine!.requestId);
      assert.equal(requestLine!.msg, 'GET http://app.test/p 200');
      assert.equal((requestLine!.httpRequest as { status: number }).status, 200);
    } finally {
      await server.close();
    }
  });

  it('a logger without child still tags request lines', { timeout: 10_000 }, async () => {
    const seen: Array<[Record<string, unknown>, string | undefined]> = [];
    const collect = (obj: Record<string, unknown>, msg?: string) => void seen.push([obj, msg]);
    const server = await startServer((req, res) => {
      requestLogger(req).error({ x: 1 }, 'oops');
      res.end();
    }, { logger: { debug: collect, info: collect, warn: collect, error: collect }, trustProxy: false });
    try {
      await rawRequest(server.port, get('/'));
      await waitFor(() => seen.length === 2);
      assert.equal(seen[0]![1], 'oops');
      assert.equal(seen[0]![0].x, 1);
      assert.equal(seen[0]![0].requestId, seen[1]![0].requestId);
    } finally {
      await server.close();
    }
  });
});
