import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Connection-level limits, so slow clients cannot hold the server (security.md §4, rows 69–70). */
export interface ServerTimeouts {
  /**
   * Milliseconds a client has to send the request line and headers (Node's `headersTimeout`);
   * slower ones get 408 and are disconnected (slowloris). Default 20 000.
   */
  headersTimeout?: number;
  /**
   * Milliseconds a client has to send the whole request, body included (Node's
   * `requestTimeout`); at least `headersTimeout`, 0 for none. Default 300 000.
   */
  requestTimeout?: number;
  /** Milliseconds an idle keep-alive connection is kept open (Node's `keepAliveTimeout`). Default 5 000. */
  keepAliveTimeout?: number;
  /**
   * How often, in milliseconds, Node looks for connections past those timeouts
   * (`connectionsCheckingInterval`, Node's default 30 000, which lets a slow client linger that
   * much longer). It only takes effect when set before the server starts listening, or in the
   * same tick as `listen()`. Default: 1 000, or `headersTimeout / 2` when that is shorter.
   */
  checkInterval?: number;
}

const deferredContinue = new WeakSet<IncomingMessage>();

/**
 * Prepares a `node:http` (or `https`) server for appyaml: applies `timeouts`, and holds back
 * `100 Continue` until `envelope()` has accepted the request's size, so a client announcing an
 * oversized body gets 413 without being invited to send it. Call it before `listen()`, or in the
 * same tick as Express's `app.listen()`:
 *
 * ```ts
 * const server = app.listen(8080);
 * configureServer(server);
 * ```
 */
export function configureServer<S extends Server>(server: S, timeouts: ServerTimeouts = {}): S {
  const headersTimeout = timeouts.headersTimeout ?? 20_000;
  const requestTimeout = timeouts.requestTimeout ?? 300_000;
  const keepAliveTimeout = timeouts.keepAliveTimeout ?? 5_000;
  const checkInterval = timeouts.checkInterval ?? Math.max(1, Math.min(1_000, Math.floor(headersTimeout / 2)));
  for (const [name, value] of Object.entries({ headersTimeout, requestTimeout, keepAliveTimeout, checkInterval })) {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a number of milliseconds, got ${value}`);
  }
  if (requestTimeout > 0 && requestTimeout < headersTimeout) {
    throw new TypeError(`requestTimeout (${requestTimeout}) must not be shorter than headersTimeout (${headersTimeout})`);
  }
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;
  server.keepAliveTimeout = keepAliveTimeout;
  // Node reads this when the server starts listening (nodejs/node lib/_http_server.js).
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = checkInterval;
  if (!server.listeners('checkContinue').includes(holdContinue)) server.on('checkContinue', holdContinue);
  return server;
}

function holdContinue(this: Server, req: IncomingMessage, res: ServerResponse): void {
  deferredContinue.add(req);
  this.emit('request', req, res);
}

/** Sends the `100 Continue` that `configureServer` held back, if it did; the envelope calls this once the body is accepted. */
export function sendDeferredContinue(req: IncomingMessage, res: ServerResponse): void {
  if (deferredContinue.delete(req) && !res.headersSent) res.writeContinue();
}
