import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { requestLogger, type Logger } from '../../envelope/logger.js';
import type { Lease } from '../pool-contract.js';
import { BridgeCall } from './bridge-call.js';
import type { BridgeInstance, CallHandler } from './bridge.js';
import { Frame } from './frames.js';
import { applyHead, parseHead, sendWhole, wholeBody, wholeResponse, type ResponseHead, type WholeResponse } from './response.js';

/** Response bytes a streamed response may have in flight before the bridge waits for the client. */
const STREAM_WINDOW = 1024 * 1024;
/** App Engine's answer to a response over the size limit: 500 with an empty body. */
const EMPTY_500: WholeResponse = { status: 500, headers: [], body: Buffer.alloc(0) };

/** How the exchanges of a backend behave. */
export interface ExchangeSettings {
  stream: boolean;
  maxResponseBytes: number;
  /** Milliseconds before the deadline at which DeadlineExceededError is raised (at most half the time left). */
  deadlineGrace: number;
  /** Kills an instance whose request overran its deadline (the pool replaces it). */
  retire(instance: BridgeInstance): void;
  /** Sends a whole buffered response; undefined: written to `res` as it is. */
  send: ((req: IncomingMessage, res: ServerResponse, response: WholeResponse) => void) | undefined;
  /** Answers a failure the backend decided: 500 (the app failed), 502 (its instance died), 503. */
  answerError(req: IncomingMessage, res: ServerResponse, status: number): void;
}

/**
 * One request on one bridge: the head and body out, the response back, with App Engine's
 * rules. Buffered (the default) the response is checked whole before a byte is sent; an app
 * error before the end is a 500 whose details go to the log only. Streamed, a failure after the
 * headers cuts the connection, so a client never takes a part for the whole.
 *
 * Deadlines: DeadlineExceededError is raised in the app `deadlineGrace` before the request's
 * deadline, so that an app that catches it can still answer; at the deadline the envelope answers
 * 500 if the app has not, and the instance, still busy with the request, is killed.
 */
export class Exchange implements CallHandler {
  private head: ResponseHead | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  /** The client has its answer, or will get none from us: later frames are only drained. */
  private answered = false;
  /** The bridge is done with the request (F, R, or the instance is gone). */
  private settled = false;
  private call!: BridgeCall;
  private streamed = 0;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly lease: Lease<BridgeInstance>,
    private readonly settings: ExchangeSettings,
    /** The request body: `req` itself, or what was read of a chunked one. */
    private readonly body: Readable | undefined,
  ) {}

  start(script: string, environ: readonly string[]): void {
    const { deadlineGrace, stream } = this.settings;
    const window = stream ? STREAM_WINDOW : 0;
    this.call = new BridgeCall(this.lease.instance, this, this.req, { script, environ, body: this.body, window, deadlineGrace, onBodyError: this.onClose, onHardDeadline: this.onHardDeadline });
    this.res.once('close', this.onClose);
  }

  onFrame(type: number, payload: Buffer): void {
    switch (type) {
      case Frame.Start:
        return this.onStart(payload);
      case Frame.Data:
        return this.onData(payload);
      case Frame.Finished:
        return this.onFinished();
      case Frame.Failed:
        return this.onFailed((JSON.parse(payload.toString('utf8')) as { m: string }).m);
      case Frame.Ack:
        return this.call.ack(Number(payload.toString('latin1')));
      case Frame.Log:
        return this.lease.instance.logLine(payload, this.logger());
    }
  }

  onGone(): void {
    if (this.settled) return;
    this.settle();
    if (this.answered) return;
    this.logger().error({ instance: this.lease.instance.id }, 'The instance serving this request exited; answered 502');
    this.fail(502);
  }

  private onStart(payload: Buffer): void {
    if (this.answered) return;
    const head = parseHead(payload);
    if (typeof head === 'string') return this.reject(`Invalid response from the app: ${head}; answered 500`);
    this.head = head;
    if (!this.settings.stream) return;
    const refused = applyHead(this.res, head, head.contentLength);
    if (refused) return this.reject(`Response refused: ${refused}; answered 500`);
    // Headers go out with the first body bytes, or at the end.
  }

  private onData(chunk: Buffer): void {
    if (this.answered) return;
    this.size += chunk.length;
    if (this.size > this.settings.maxResponseBytes) {
      return this.reject(`Response body over ${this.settings.maxResponseBytes} bytes; answered 500 with an empty body`, EMPTY_500);
    }
    if (!this.settings.stream) {
      this.chunks.push(chunk);
      return;
    }
    const declared = this.head?.contentLength;
    if (declared !== undefined && this.streamed + chunk.length > declared) chunk = chunk.subarray(0, declared - this.streamed);
    this.streamed += chunk.length;
    const ack = () => this.call.send(Frame.Ack, String(chunk.length));
    if (this.res.write(chunk)) ack();
    else this.res.once('drain', ack);
  }

  private onFinished(): void {
    if (this.settled) return;
    this.settle();
    if (this.answered) return;
    const head = this.head;
    if (!head) return this.fail(500);
    if (this.settings.stream) {
      this.answered = true;
      const declared = head.contentLength;
      if (declared !== undefined && this.streamed < declared && this.req.method !== 'HEAD') {
        this.logger().error({}, `Response body shorter than its Content-Length (${this.streamed} of ${declared} bytes); connection cut`);
        this.res.destroy();
        return;
      }
      this.res.end();
      return;
    }
    const body = wholeBody(this.req, head, this.chunks, this.size);
    this.chunks = [];
    const refused = typeof body === 'string' ? body : this.deliver(head, body);
    if (refused) {
      this.logger().error({}, `Invalid response from the app: ${refused}; answered 500`);
      this.fail(500);
    }
  }

  /** Hands a checked, whole response to the frontend, or writes it; returns Node's refusal. */
  private deliver(head: ResponseHead, body: Buffer): string | undefined {
    const { send } = this.settings;
    if (!send) {
      const refused = sendWhole(this.req, this.res, head, body);
      if (!refused) this.answered = true;
      return refused;
    }
    this.answered = true;
    send(this.req, this.res, wholeResponse(this.req, head, body));
    return undefined;
  }

  private onFailed(message: string): void {
    if (this.settled) return;
    this.settle();
    if (this.answered) return;
    // The traceback is already in the log, from the bridge; the client learns nothing of it.
    this.logger().error({}, `The app failed: ${message}; answered 500`);
    this.fail(500);
  }

  /** The client went away (or its body was cut): the app stops at its next chunk or read. */
  private readonly onClose = (): void => {
    if (this.settled || this.answered) return;
    this.answered = true;
    this.call.send(Frame.Abort);
  };

  private readonly onHardDeadline = (): void => {
    if (this.settled) return;
    // The envelope answers the client at this deadline (500, or the timeout page).
    this.answered = true;
    this.logger().error({ instance: this.lease.instance.id }, 'The app did not answer by the deadline; killing its instance');
    this.settings.retire(this.lease.instance);
  };

  /** Stops sending the answer we had; the app's remaining frames are drained until F or R. */
  private reject(message: string, response?: WholeResponse): void {
    this.logger().error({}, message);
    this.call.send(Frame.Abort);
    this.chunks = [];
    this.fail(500, response);
  }

  /**
   * Answers `status` (the frontend's error page, or `response` as it is) unless the headers are
   * out, in which case the connection is cut.
   */
  private fail(status: number, response?: WholeResponse): void {
    if (this.answered) return;
    this.answered = true;
    const { req, res, settings } = this;
    if (res.headersSent) res.destroy();
    else if (res.writableEnded) return;
    else if (!response) settings.answerError(req, res, status);
    else if (settings.send) settings.send(req, res, response);
    else {
      res.writeHead(response.status, ['Content-Length', String(response.body.length)]);
      res.end(response.body);
    }
  }

  /** The bridge is done with the request: free the slot and stop listening. */
  private settle(): void {
    this.settled = true;
    this.call.end();
    this.lease.release();
    this.res.off('close', this.onClose);
  }

  private logger(): Logger {
    return requestLogger(this.req);
  }
}
