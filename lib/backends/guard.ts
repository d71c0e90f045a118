import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestLogger } from '../envelope/logger.js';

/** Runs a backend's `serve` for a request; a throw is logged and answered 500, so `handle` never throws. */
export function serveGuarded(req: IncomingMessage, res: ServerResponse, backend: string, answerError: (req: IncomingMessage, res: ServerResponse, status: number) => void, serve: () => void): void {
  try {
    serve();
  } catch (err) {
    requestLogger(req).error({ err }, `${backend} backend failed; answered 500`);
    if (!res.headersSent) answerError(req, res, 500);
  }
}
