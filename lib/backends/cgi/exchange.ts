import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestLogger, type Logger } from '../../envelope/logger.js';
import { sendWhole, wholeResponse, type ResponseHead, type WholeResponse } from '../wsgi/response.js';
import { CgiOutput, CgiOutputError } from './parser.js';

/** How the exchanges of a CGI backend answer. */
export interface CgiSettings {
  /** Largest body; more is App Engine's 500 with an empty body, and the script is stopped. */
  maxResponseBytes: number;
  /** Sends a whole response (the frontend's dynamic response rules); undefined: written to `res`. */
  send: ((req: IncomingMessage, res: ServerResponse, response: WholeResponse) => void) | undefined;
  /** Answers what the backend decides: 500, 502, 503, 504. */
  answerError(req: IncomingMessage, res: ServerResponse, status: number): void;
  /** Serves a local redirect (`Location: /path` without `Status`) as a new GET (RFC 3875 §6.2.2). */
  redirect(req: IncomingMessage, res: ServerResponse, location: string): void;
}

/** App Engine's answer to a response over the size limit: 500 with an empty body. */
const EMPTY_500: WholeResponse = { status: 500, headers: [], body: Buffer.alloc(0) };

/**
 * One request's run of a CGI script, whichever way it runs (its own process, or a cached
 * worker): stdout goes through the strict parser as it comes, and the reply is sent whole once
 * the script is done, so that a broken or cut output never reaches the client (502). A client
 * that leaves, or a deadline that passes, stops the script (`abandon`).
 */
export abstract class CgiExchange {
  /** The client has its answer, or will get none from us. */
  protected answered = false;
  private readonly output: CgiOutput;

  constructor(
    protected readonly req: IncomingMessage,
    protected readonly res: ServerResponse,
    protected readonly settings: CgiSettings,
    /** The script's file, for the log. */
    protected readonly script: string,
  ) {
    this.output = new CgiOutput(settings.maxResponseBytes);
  }

  /** Stops the script (kills its process group, or aborts and if need be replaces its worker). */
  protected abstract abandon(): void;

  /** Starts watching the client and the request's abort signal (deadline, body limit, disconnect). */
  protected watch(): void {
    this.res.once('close', this.onClientGone);
    this.req.appEngine?.signal?.addEventListener('abort', this.onClientGone, { once: true });
  }

  protected unwatch(): void {
    this.res.off('close', this.onClientGone);
    this.req.appEngine?.signal?.removeEventListener('abort', this.onClientGone);
  }

  /** Takes a chunk of the script's stdout. */
  protected onOutput(chunk: Buffer): void {
    if (this.answered) return;
    try {
      this.output.push(chunk);
    } catch (err) {
      if (!(err instanceof CgiOutputError)) throw err;
      return this.broken(err.message);
    }
    if (this.output.overflowed) {
      this.logger().error({ script: this.script }, `CGI output over ${this.settings.maxResponseBytes} bytes; script stopped, answered 500 with an empty body`);
      this.abandon();
      this.fail(500, EMPTY_500);
    }
  }

  /**
   * The script is done: answers its reply. `problem` says how it ended badly (a non-zero exit);
   * the reply is then kept only if its Content-Length shows it complete.
   */
  protected complete(problem?: string): void {
    if (this.answered) return;
    const { req, res, output } = this;
    let reply;
    try {
      reply = output.end();
    } catch (err) {
      if (!(err instanceof CgiOutputError)) throw err;
      return this.broken(problem ? `${err.message} (${problem})` : err.message);
    }
    if (reply.kind === 'local') {
      if (problem) return this.broken(`a local redirect, but ${problem}`);
      this.answered = true;
      return this.settings.redirect(req, res, reply.location);
    }
    const body = output.bodyBytes();
    const head: ResponseHead = { status: reply.status, reason: reply.reason, headers: reply.headers, contentLength: reply.contentLength };
    const declared = reply.contentLength;
    const whole = declared === undefined || declared === body.length || (req.method === 'HEAD' && body.length === 0);
    if (!whole) return this.broken(`the body (${body.length} bytes) does not match its Content-Length (${declared})${problem ? `; ${problem}` : ''}`);
    if (problem && declared === undefined) return this.broken(`${problem} (no Content-Length tells whether its output was complete)`);
    if (problem) this.logger().warn({ script: this.script }, `CGI script ${problem} after a complete response`);
    if (body.length > 0 && !hasField(reply.headers, 'content-type')) return this.broken('a body without Content-Type');
    this.answered = true;
    if (this.settings.send) return this.settings.send(req, res, wholeResponse(req, head, body));
    const refused = sendWhole(req, res, head, body);
    if (refused) {
      this.answered = false;
      this.broken(`Node refused the response: ${refused}`);
    }
  }

  /** The output broke the CGI rules: 502, nothing of it forwarded, the script stopped. */
  protected broken(message: string): void {
    this.logger().error({ script: this.script }, `Invalid CGI output: ${message}; answered 502`);
    this.abandon();
    this.fail(502);
  }

  /** Answers `status` (or `response` as it is) unless the client has its answer or is gone. */
  protected fail(status: number, response?: WholeResponse): void {
    if (this.answered) return;
    this.answered = true;
    const { req, res, settings } = this;
    if (res.headersSent) res.destroy();
    else if (res.writableEnded || res.destroyed) return;
    else if (!response) settings.answerError(req, res, status);
    else if (settings.send) settings.send(req, res, response);
    else {
      res.writeHead(response.status, ['Content-Length', String(response.body.length)]);
      res.end(response.body);
    }
  }

  protected logger(): Logger {
    return requestLogger(this.req);
  }

  /** The client went away, or the envelope gave up on the request (and answered it). */
  private readonly onClientGone = (): void => {
    if (this.answered) return;
    this.answered = true;
    this.abandon();
  };
}

function hasField(headers: readonly string[], lower: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === lower) return true;
  return false;
}
