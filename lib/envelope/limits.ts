import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestAbortedError, type AbortCause } from './abort.js';
import { answerPlain } from './answers.js';

/** App Engine's request body limit: 32 MiB; a body of exactly this size is accepted. */
export const DEFAULT_BODY_LIMIT = 33_554_432;

/** How long a request body may stall (no byte arriving) before the request is cut with 408. */
export const DEFAULT_BODY_IDLE_TIMEOUT = 30_000;

/** Whether the body must be refused from its `Content-Length` alone, before reading a byte. */
export function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const length = req.headers['content-length'];
  // Node's parser has already refused malformed or conflicting lengths (400).
  return length !== undefined && Number(length) > limit;
}

export interface BodyLimitOptions {
  /** Bytes the body may have; `Infinity` for none (`/_ah/*`). */
  limit: number;
  /** Milliseconds the body may stall while the app waits for it; 0 for no limit. */
  idleTimeout: number;
  /** Told after the limiter has answered the client (413/408) or destroyed the connection. */
  onAbort: (cause: Extract<AbortCause, 'body-too-large' | 'body-timeout'>) => void;
}

/** What a limited body has delivered so far. */
export interface BodyMeter {
  /** Body bytes received (after de-chunking). */
  received: number;
}

/**
 * Counts a request body as it arrives from the socket, without buffering it or changing how it
 * is read: whoever consumes `req` (Express body parsers, a backend piping it on) sees the same
 * stream. When the body crosses `limit`, the client gets 413 (or its connection is destroyed if
 * the response has started) and the rest is discarded; when it stalls for `idleTimeout` while the
 * app is waiting for it, the client gets 408. In both cases `req` then errors for its readers, and
 * `onAbort` is told.
 */
export function limitBody(req: IncomingMessage, res: ServerResponse, options: BodyLimitOptions): BodyMeter {
  const { limit, idleTimeout, onAbort } = options;
  // A body that arrived with the headers is already buffered; count it.
  const meter: BodyMeter = { received: req.readableLength };
  const waiting = !req.complete && meter.received <= limit;
  let cut = false;

  // Checked every half period: the body has stalled when, for a whole period, no byte arrived
  // and the app was not the slow side. Unread data means it is (Node has stopped reading the
  // socket for it); the half-period look also covers the moment just after the app catches up
  // and before the client's next bytes arrive.
  let lastProgress = Date.now();
  const idle =
    waiting && idleTimeout > 0
      ? setInterval(() => {
          const now = Date.now();
          if (req.readableLength > 0) lastProgress = now;
          else if (now - lastProgress >= idleTimeout) stop(408, 'body-timeout');
        }, Math.max(1, Math.floor(idleTimeout / 2))).unref()
      : undefined;
  if (idle) res.once('close', () => clearInterval(idle));

  function stop(status: 408 | 413, cause: 'body-too-large' | 'body-timeout'): void {
    cut = true;
    if (idle) clearInterval(idle);
    if (res.headersSent) res.destroy();
    else answerPlain(req, res, status);
    // Readers of the body get an error instead of waiting for bytes that will never come.
    res.once('close', () => req.destroy(new RequestAbortedError(cause)));
    onAbort(cause);
  }

  if (!waiting) {
    if (meter.received > limit) stop(413, 'body-too-large');
    return meter;
  }

  // Node's HTTP parser hands each body chunk to `req.push` as it arrives; counting there sees the
  // bytes at their pace on the wire, whether or not anyone reads them yet.
  const push = req.push;
  req.push = function countedPush(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      if (idle) clearInterval(idle);
      return cut || push.call(this, chunk, encoding);
    }
    // After a cut, the rest is read and dropped, so the 413 is not lost to a reset connection.
    if (cut) return true;
    meter.received += (chunk as Buffer).length;
    if (meter.received > limit) {
      stop(413, 'body-too-large');
      return true;
    }
    if (idle) lastProgress = Date.now();
    return push.call(this, chunk, encoding);
  };
  return meter;
}
