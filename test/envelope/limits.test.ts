import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RequestAbortedError } from '../../lib/envelope/abort.js';
import { parseResponse, rawRequest, startServer, waitFor, type RawResponse, type TestServer } from './envelope-harness.js';

const MiB = 1024 * 1024;
const LIMIT = 32 * MiB;

interface Outcome {
  bytes: number;
  ended: boolean;
  error?: string;
  abort?: string;
}

/** Reads the body without keeping it, answers with the byte count; records how reading ended. */
function countingHandler(outcomes: Outcome[], delayRead = 0) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const outcome: Outcome = { bytes: 0, ended: false };
    outcomes.push(outcome);
    req.appEngine?.signal?.addEventListener('abort', () => {
      const reason: unknown = req.appEngine?.signal?.reason;
      outcome.abort = reason instanceof RequestAbortedError ? reason.code : String(reason);
    });
    req.on('error', (err) => (outcome.error = err.message));
    const read = () => {
      req.on('data', (chunk: Buffer) => (outcome.bytes += chunk.length));
      req.on('end', () => {
        outcome.ended = true;
        res.end(String(outcome.bytes));
      });
    };
    if (delayRead) setTimeout(read, delayRead);
    else read();
  };
}

/** Opens a connection, sends `head`, then `body` chunks from one reused buffer; resolves with the response. */
function upload(port: number, head: string, chunks: number, chunkSize: number, chunked: boolean, tail = 0): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const block = Buffer.alloc(chunkSize, 0x61);
    let sent = 0;
    let gaveUp = false;
    socket.setTimeout(5000, () => {
      gaveUp = true;
      socket.destroy();
    });
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      if (text === '') reject(new Error('closed without a response'));
      else resolve({ ...parseResponse(text), closedByServer: !gaveUp });
    });
    const pump = () => {
      while (sent < chunks + (tail ? 1 : 0) && !socket.destroyed) {
        const size = sent === chunks ? tail : chunkSize;
        const data = size === chunkSize ? block : block.subarray(0, size);
        if (chunked) socket.write(`${size.toString(16)}\r\n`);
        const ok = socket.write(data);
        if (chunked) socket.write('\r\n');
        sent++;
        if (!ok) return void socket.once('drain', pump);
      }
      if (chunked && !socket.destroyed) socket.write('0\r\n\r\n');
    };
    socket.write(head);
    pump();
  });
}

const post = (path: string, headers: string) => `POST ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n${headers}\r\n`;

describe('envelope: request body limit (32 MiB)', { timeout: 10_000 }, () => {
  let server: TestServer;
  const outcomes: Outcome[] = [];
  before(async () => {
    server = await startServer(countingHandler(outcomes), { trustProxy: false });
  });
  after(() => server.close());

  it('Content-Length: 33554433 → 413 before the app is called, connection closed', async () => {
    const before = server.handled;
    const res = await rawRequest(server.port, post('/upload', 'Content-Length: 33554433\r\n') + 'some body bytes');
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
    assert.equal(res.body, 'Payload Too Large\n');
    assert.equal(server.handled, before);
  });

  it('Expect: 100-continue over the limit → 413 and no 100 Continue (security row 71)', async () => {
    const before = server.handled;
    const res = await rawRequest(server.port, post('/upload', 'Content-Length: 33554433\r\nExpect: 100-continue\r\n'));
    assert.equal(res.status, 413);
    assert.ok(!res.text.includes('100 Continue'), res.text);
    assert.equal(server.handled, before);
  });

  it('Expect: 100-continue within the limit → 100 Continue, then the answer', async () => {
    const res = await new Promise<string>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
        if (text === 'HTTP/1.1 100 Continue\r\n\r\n') socket.write('hello');
      });
      socket.on('close', () => resolve(text));
      socket.write(post('/upload', 'Content-Length: 5\r\nExpect: 100-continue\r\n'));
    });
    assert.ok(res.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK'), res);
    assert.equal(parseResponse(res.slice(25)).body, '5');
  });

  it('exactly 32 MiB with Content-Length is accepted and streamed to the app', async () => {
    const res = await upload(server.port, post('/upload', `Content-Length: ${LIMIT}\r\n`), 512, 64 * 1024, false);
    assert.equal(res.status, 200);
    assert.equal(res.body, String(LIMIT));
  });

  it('exactly 32 MiB chunked is accepted', async () => {
    const res = await upload(server.port, post('/upload', 'Transfer-Encoding: chunked\r\n'), 512, 64 * 1024, true);
    assert.equal(res.status, 200);
    assert.equal(res.body, String(LIMIT));
  });

  it('a chunked body crossing 32 MiB → 413; the app reading it gets an error and the abort signal', async () => {
    const index = outcomes.length;
    const res = await upload(server.port, post('/upload', 'Transfer-Encoding: chunked\r\n'), 512, 64 * 1024, true, 1);
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
    await waitFor(() => outcomes[index]?.error !== undefined);
    const outcome = outcomes[index]!;
    assert.equal(outcome.ended, false, 'the app never sees a complete body');
    assert.ok(outcome.bytes <= LIMIT, `app got ${outcome.bytes} bytes`);
    assert.equal(outcome.abort, 'body-too-large');
    await waitFor(() => server.logs.some((l) => l.message === 'Request body over the limit; cut'));
  });

  it('/_ah/ paths are exempt, with either framing', async () => {
    const declared = await upload(server.port, post('/_ah/upload', `Content-Length: ${LIMIT + 1}\r\n`), 512, 64 * 1024, false, 1);
    assert.equal(declared.status, 200);
    assert.equal(declared.body, String(LIMIT + 1));
    const chunked = await upload(server.port, post('/_ah/upload', 'Transfer-Encoding: chunked\r\n'), 512, 64 * 1024, true, 1);
    assert.equal(chunked.status, 200);
    assert.equal(chunked.body, String(LIMIT + 1));
  });
});

describe('envelope: configured body limit and stalled bodies', { timeout: 10_000 }, () => {
  let server: TestServer;
  const outcomes: Outcome[] = [];
  before(async () => {
    server = await startServer(
      (req, res) => {
        if (req.url === '/started') {
          // The response starts before the body is read: a cut can only destroy the connection.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('partial ');
        }
        if (req.url === '/_ah/slow-reader') countingHandler(outcomes, 600)(req, res);
        else countingHandler(outcomes)(req, res);
      },
      { trustProxy: false, limits: { body: 1000, bodyIdleTimeout: 300 } },
    );
  });
  after(() => server.close());

  it('the limit is configurable: 1000 accepted, 1001 refused', async () => {
    assert.equal((await upload(server.port, post('/', 'Content-Length: 1000\r\n'), 1, 1000, false)).status, 200);
    assert.equal((await rawRequest(server.port, post('/', 'Content-Length: 1001\r\n'))).status, 413);
    const res = await upload(server.port, post('/', 'Transfer-Encoding: chunked\r\n'), 10, 100, true, 1);
    assert.equal(res.status, 413);
  });

  it('crossing the limit after the response started destroys the connection (no clean end)', async () => {
    const res = await upload(server.port, post('/started', 'Transfer-Encoding: chunked\r\n'), 20, 100, true);
    assert.equal(res.status, 200);
    assert.ok(res.closedByServer, 'the server closed the connection');
    assert.ok(!res.text.endsWith('0\r\n\r\n'), 'the chunked response is not terminated');
    assert.equal(res.body, 'partial ');
  });

  it('a body that stalls → 408, the reader errors, the signal says body-timeout', async () => {
    const index = outcomes.length;
    const res = await new Promise<RawResponse>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(parseResponse(text)));
      socket.setTimeout(3000, () => socket.destroy());
      socket.write(post('/', 'Content-Length: 10\r\n') + 'abc');
    });
    assert.equal(res.status, 408);
    await waitFor(() => outcomes[index]?.error !== undefined);
    assert.equal(outcomes[index]!.abort, 'body-timeout');
    assert.equal(outcomes[index]!.bytes, 3);
  });

  it('an app slow to read is not a stalled client: no 408', async () => {
    // 1 MiB (under /_ah/, so over the 1000-byte limit) fills the stream's buffer while the app
    // waits 600 ms: Node stops reading the socket, and no byte arrives for longer than the
    // 300 ms stall timeout.
    const res = await upload(server.port, post('/_ah/slow-reader', `Content-Length: ${MiB}\r\n`), 16, 64 * 1024, false);
    assert.equal(res.status, 200);
    assert.equal(res.body, String(MiB));
  });

  it('exempt /_ah/ bodies still get the stall timeout', async () => {
    const res = await rawRequest(server.port, post('/_ah/x', 'Content-Length: 10\r\n') + 'a');
    assert.equal(res.status, 408);
  });
});
