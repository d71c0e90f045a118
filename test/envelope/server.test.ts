import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import { configureServer, envelope } from '../../lib/envelope/index.js';
import { jsonLogger } from '../../lib/envelope/logger.js';
import { get, rawRequest } from './envelope-harness.js';

interface Dribbler {
  closedAt?: number;
  text: string;
}

describe('configureServer: slow clients', { timeout: 10_000 }, () => {
  it('slowloris is bounded by headersTimeout while normal requests are answered (Express app.listen)', async () => {
    const app = express();
    app.use(envelope({ logger: jsonLogger({ destination: { write: () => {} } }) }));
    app.get('/', (_req, res) => void res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    // Same tick as listen(): the check interval still applies.
    configureServer(server, { headersTimeout: 1000, requestTimeout: 3000 });
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const started = Date.now();
    const dribblers: Dribbler[] = [];
    const sockets: net.Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const d: Dribbler = { text: '' };
        dribblers.push(d);
        const socket = net.connect(port, '127.0.0.1');
        sockets.push(socket);
        socket.on('data', (chunk) => (d.text += chunk.toString('latin1')));
        socket.on('error', () => {});
        socket.on('close', () => (d.closedAt = Date.now() - started));
        socket.write('GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: ');
        const timer = setInterval(() => {
          if (socket.destroyed || Date.now() - started > 3000) clearInterval(timer);
          else socket.write('a');
        }, 300);
        timers.push(timer);
      }
      // A normal request meanwhile.
      await new Promise((r) => setTimeout(r, 400));
      const res = await rawRequest(port, get('/'));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'ok');
      assert.ok(dribblers.some((d) => d.closedAt === undefined), 'answered while the slow clients were still connected');

      const until = Date.now() + 2800;
      while (dribblers.some((d) => d.closedAt === undefined) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      for (const d of dribblers) {
        assert.ok(d.closedAt !== undefined, 'slow client still connected');
        assert.ok(d.closedAt < 2600, `closed after ${d.closedAt} ms`);
        assert.ok(d.text === '' || d.text.startsWith('HTTP/1.1 408'), d.text);
      }
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  it('applies the timeouts and refuses inconsistent ones', () => {
    const server = configureServer(http.createServer(), { headersTimeout: 4000, keepAliveTimeout: 2000 });
    assert.equal(server.headersTimeout, 4000);
    assert.equal(server.requestTimeout, 300_000);
    assert.equal(server.keepAliveTimeout, 2000);
    assert.equal((server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval, 1000);
    assert.equal(server.listenerCount('checkContinue'), 1);
    configureServer(server);
    assert.equal(server.listenerCount('checkContinue'), 1, 'configuring twice adds no second listener');
    assert.equal(server.headersTimeout, 20_000);
    assert.throws(() => configureServer(http.createServer(), { headersTimeout: 5000, requestTimeout: 1000 }), /must not be shorter/);
    assert.throws(() => configureServer(http.createServer(), { keepAliveTimeout: -1 }), /keepAliveTimeout/);
  });
});
