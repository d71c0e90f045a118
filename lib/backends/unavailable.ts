import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestLogger } from '../envelope/logger.js';
import { PoolClosedError, QueueTimeoutError, StartFailedError } from './pool-contract.js';

/** How a backend answers a request its pool could not give an instance to. */
export interface UnavailableAnswer {
  /** The backend's name on the log line (`WSGI`, `CGI`, `entrypoint`). */
  backend: string;
  /** The status when no instance can start: 500 for a standard app that fails to load, 503 for a flex app not serving. */
  startFailed: 500 | 503;
  answerError: (req: IncomingMessage, res: ServerResponse, status: number) => void;
}

/**
 * Answers a request that got no instance: `startFailed` when the app cannot start, 503 when no
 * instance came free in time or the backend is closing, 500 for anything else. Nothing when the
 * envelope has answered meanwhile (a deadline) or the client has gone.
 */
export function answerUnavailable(req: IncomingMessage, res: ServerResponse, err: unknown, answer: UnavailableAnswer): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  if (err instanceof StartFailedError) {
    requestLogger(req).error({}, `${err.message}; answered ${answer.startFailed}`);
    return answer.answerError(req, res, answer.startFailed);
  }
  if (err instanceof QueueTimeoutError || err instanceof PoolClosedError) {
    requestLogger(req).warn({}, `${err.message}; answered 503`);
    return answer.answerError(req, res, 503);
  }
  requestLogger(req).error({ err }, `${answer.backend} backend failed; answered 500`);
  answer.answerError(req, res, 500);
}
