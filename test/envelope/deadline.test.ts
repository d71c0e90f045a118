import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadAppYaml } from '../../lib/config/load.js';
import { RequestAbortedError } from '../../lib/envelope/abort.js';
import { defaultDeadline } from '../../lib/envelope/deadline.js';
import { echoHandler, get, rawRequest, startServer, waitFor, type TestServer } from './envelope-harness.js';

/** The abort codes seen, by request path. */
const aborts = new Map<string, string>();
/** Paths the app has seen. */
const seen = new Set<string>();

function watch(req: IncomingMessage): void {
  seen.add(req.url!);
  const signal = req.appEngine!.signal!;
  signal.addEventListener('abort', () => {
    const reason: unknown = signal.reason;
    aborts.set(req.url!, reason instanceof RequestAbortedError ? reason.code : 'other');
  });
}

describe('envelope: request deadline', { timeout: 10_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(
      (req, res) => {
        watch(req);
        if (req.url === '/quick') res.end('done');
        else if (req.url === '/started') {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('partial ');
        } else if (req.url === '/headers-set') {
          // Set but not sent: the deadline answer must not carry them.
          res.setHeader('Content-Encoding', 'gzip');
          res.setHeader('X-App', '1');
        }
        // Anything else never answers.
      },
      {
        trustProxy: false,
        deadline: 300,
        onDeadline: (req, res) => {
          if (req.url === '/custom') {
            res.writeHead(503, { 'Content-Type': 'text/plain' });
            res.end('timeout page');
          } else if (req.url === '/hook-throws') throw new Error('hook broke');
        },
      },
    );
  });
  after(() => server.close());

  it('nothing sent → 500 with the generic error page; the signal fires; logged as ERROR', async () => {
    const started = Date.now();
    const res = await rawRequest(server.port, get('/hang'));
    assert.equal(res.status, 500);
    assert.match(res.body, /<h1>Error: Server Error<\/h1>/);
    assert.ok(Date.now() - started >= 290, 'not before the deadline');
    await waitFor(() => aborts.get('/hang') === 'deadline');
    await waitFor(() => server.logs.some((l) => l.abort === 'deadline'));
    const line = server.logs.find((l) => l.abort === 'deadline')!;
    assert.equal(line.severity, 'ERROR');
    assert.equal((line.httpRequest as { status: number }).status, 500);
    assert.ok(server.logs.some((l) => l.message === 'Request exceeded its deadline of 0.3 s' && l.requestId === line.requestId));
  });

  it('headers already sent → the connection is destroyed, never a clean end', async () => {
    const res = await rawRequest(server.port, get('/started'), 2000);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'partial ');
    assert.ok(res.closedByServer, 'the server closed the connection');
    assert.ok(!res.text.endsWith('0\r\n\r\n'));
    await waitFor(() => aborts.get('/started') === 'deadline');
  });

  it("headers the app set but did not send are dropped from the 500", async () => {
    const res = await rawRequest(server.port, get('/headers-set'));
    assert.equal(res.status, 500);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.headers['x-app'], undefined);
  });

  it('onDeadline answers instead; a throwing hook falls back to 500', async () => {
    const custom = await rawRequest(server.port, get('/custom'));
    assert.equal(custom.status, 503);
    assert.equal(custom.body, 'timeout page');
    const broken = await rawRequest(server.port, get('/hook-throws'));
    assert.equal(broken.status, 500);
    await waitFor(() => server.logs.some((l) => l.message === 'onDeadline failed; answered 500' && String(l.err).includes('hook broke')));
  });

  it('a request answered in time is not aborted later', async () => {
    const res = await rawRequest(server.port, get('/quick'));
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(aborts.get('/quick'), undefined);
  });

  it('a client that goes away aborts the signal (client-closed)', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write('GET /gone HTTP/1.1\r\nHost: app.test\r\n\r\n');
    await waitFor(() => seen.has('/gone'));
    assert.equal(aborts.has('/gone'), false);
    socket.destroy();
    await waitFor(() => aborts.get('/gone') === 'client-closed');
    await waitFor(() => server.logs.some((l) => l.abort === 'client-closed'));
    assert.equal(server.logs.find((l) => l.abort === 'client-closed')!.severity, 'WARNING');
  });
});

describe('deadline defaults', () => {
  const load = (config: Record<string, unknown>) => loadAppYaml({ root: '/tmp', config });
  const py27 = { runtime: 'python27', api_version: '1', threadsafe: true, handlers: [{ url: '/.*', script: 'main.app' }] };

  it("follow the app's environment and scaling", () => {
    assert.equal(defaultDeadline(load(py27)), 60_000);
    assert.equal(defaultDeadline(load({ runtime: 'python312' })), 600_000);
    assert.equal(defaultDeadline(load({ runtime: 'python312', basic_scaling: { max_instances: 2 } })), 86_400_000);
    assert.equal(defaultDeadline(load({ ...py27, manual_scaling: { instances: 1 } })), 86_400_000);
    assert.equal(defaultDeadline(load({ runtime: 'python', env: 'flex', entrypoint: 'gunicorn main:app' })), 3_600_000);
    assert.equal(defaultDeadline(), 600_000);
  });

  it('envelope() applies them, can override them, and 0 means none', async () => {
    for (const [options, expected] of [
      [{ config: load(py27) }, 60_000],
      [{ config: load(py27), deadline: 5_000 }, 5_000],
      [{ deadline: 0 }, undefined],
    ] as const) {
      const server = await startServer(echoHandler, { ...options, trustProxy: false });
      try {
        const res = await rawRequest(server.port, get('/'));
        const deadline = JSON.parse(res.body).appEngine.deadline as number | undefined;
        if (expected === undefined) assert.equal(deadline, undefined);
        else assert.ok(Math.abs(deadline! - Date.now() - expected) < 1000, `${deadline! - Date.now()} vs ${expected}`);
      } finally {
        await server.close();
      }
    }
  });
});
