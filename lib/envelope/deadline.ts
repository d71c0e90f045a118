import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/types.js';
import { answerServerError } from './answers.js';
import { frontendAnswer } from './response-tap.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * App Engine's request deadline for an app (app-engine.md §1.6, §4): flex 60 min; basic and
 * manual scaling 24 h; automatic scaling 60 s on python27 and 10 min on second-generation
 * runtimes. Without a config, the second-generation automatic default.
 */
export function defaultDeadline(config?: Pick<AppConfig, 'environment' | 'basic_scaling' | 'manual_scaling'>): number {
  if (!config) return 10 * MINUTE;
  if (config.environment === 'flex') return 60 * MINUTE;
  if (config.basic_scaling || config.manual_scaling) return 24 * HOUR;
  return config.environment === 'py27' ? 60 * SECOND : 10 * MINUTE;
}

/** Answers a request whose deadline passed before anything was sent; the default answers 500. */
export type DeadlineHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DeadlineOptions {
  /** Milliseconds from now. */
  ms: number;
  /** Writes the answer when nothing has been sent yet. */
  onDeadline: DeadlineHandler | undefined;
  /** Told after the client has been answered or its connection destroyed, with what `onDeadline` threw. */
  onExpire: (handlerError?: unknown) => void;
}

/**
 * Starts a request's deadline timer, cleared when the response closes. At the deadline: if
 * nothing was sent, `onDeadline` answers (500 by default; a throwing handler falls back to it);
 * if the response had started, the connection is destroyed, so the client never takes a cut
 * response for a whole one. Then `onExpire` runs (the envelope aborts the request's signal).
 */
export function startDeadline(req: IncomingMessage, res: ServerResponse, options: DeadlineOptions): void {
  const { onDeadline, onExpire } = options;
  const timer = setTimeout(() => {
    let handlerError: unknown;
    if (res.headersSent) {
      res.destroy();
    } else {
      // A buffered app response has not reached the client: the frontend's answer replaces it.
      frontendAnswer(res, () => {
        try {
          onDeadline?.(req, res);
        } catch (err) {
          handlerError = err;
        }
        if (!res.headersSent) answerServerError(req, res);
      });
    }
    onExpire(handlerError);
  }, options.ms).unref();
  res.once('close', () => clearTimeout(timer));
}
