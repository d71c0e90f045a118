import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { contentType } from 'mime-types';
import type { AppConfig, ErrorCode } from '../config/types.js';
import { answerServerError, closeIfBodyPending } from './answers.js';
import type { DeadlineHandler } from './deadline.js';
import { clearResponseHeaders, frontendAnswer } from './response-tap.js';

/** An `error_handlers` page, read once. */
interface ErrorPage {
  type: string;
  body: Buffer;
}

/** Why the frontend fails a request; picks the page, the default page standing in for any missing one. */
export type FrontendErrorCode = ErrorCode;

/**
 * The app's `error_handlers` pages (spec §3.5), read once at load (the config has checked that
 * each exists and is under 10 KB): they replace the frontend's own error pages — `timeout` for
 * a deadline, `over_quota` and `dos_api_denial` for those refusals, `default` for those without
 * their own page and for the frontend's other failures (a backend that crashed, a response over
 * the size limit). Responses the app generated itself, errors included, are never replaced.
 *
 * The status stays the frontend's (500 for a deadline, 502 for a crash...), as in production;
 * the dev server sends every error page with 500.
 */
export class ErrorPages {
  private readonly pages = new Map<ErrorCode, ErrorPage>();

  constructor(config: Pick<AppConfig, 'root' | 'error_handlers'>) {
    for (const handler of config.error_handlers) {
      const type = handler.mime_type ?? (contentType(extname(handler.file)) || 'application/octet-stream');
      this.pages.set(handler.error_code, { type, body: readFileSync(join(config.root, handler.file)) });
    }
  }

  /** Whether the app has a page for `code`, or a default page. */
  has(code: ErrorCode): boolean {
    return this.pages.has(code) || this.pages.has('default');
  }

  /**
   * Answers a failure of the frontend with the app's page for `code` (else its default page),
   * or, without one, the frontend's own answer: App Engine's generic error page, except for an
   * oversize response, which production answers with an empty body. Whatever the app had
   * written is discarded (see `frontendAnswer`). Synchronous.
   */
  answer(req: IncomingMessage, res: ServerResponse, status: number, code: ErrorCode = 'default', emptyWithoutPage = false): void {
    frontendAnswer(res, () => {
      if (res.headersSent) {
        // Part of a response has gone out: cutting the connection is the only honest answer left.
        res.destroy();
        return;
      }
      const page = this.pages.get(code) ?? this.pages.get('default');
      if (!page && !emptyWithoutPage) return answerServerError(req, res, status);
      clearResponseHeaders(res);
      closeIfBodyPending(req, res);
      const body = page?.body ?? Buffer.alloc(0);
      const headers = page ? ['Content-Type', page.type, 'X-Content-Type-Options', 'nosniff'] : [];
      res.writeHead(status, [...headers, 'Content-Length', String(body.length)]);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  }

  /**
   * For `EnvelopeOptions.onDeadline`: the `timeout` page (else the default one) with status 500.
   * Without either it sends nothing and the envelope answers its generic 500 page.
   */
  readonly onDeadline: DeadlineHandler = (req, res) => {
    if (this.has('timeout')) this.answer(req, res, 500, 'timeout');
  };
}
