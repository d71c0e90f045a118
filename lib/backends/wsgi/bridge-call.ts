import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BodySender } from './body-sender.js';
import { softDeadlineIn, type BridgeInstance, type CallHandler } from './bridge.js';
import { Frame } from './frames.js';

/** What a call sends besides the request it answers. */
export interface CallSetup {
  script: string;
  environ: readonly string[];
  /** The request body (`req` itself, or what was read of a chunked one); none for a body-less request. */
  body: Readable | undefined;
  /** Response credit for streamed responses; 0 when Node takes everything. */
  window: number;
  /** Milliseconds before the deadline at which DeadlineExceededError is raised (at most half the time left). */
  deadlineGrace: number;
  /** The body failed (cut by the envelope, or the client gone). */
  onBodyError: () => void;
  /** The app has not answered by the request's deadline. */
  onHardDeadline: () => void;
}

/**
 * One request on one bridge instance, what WSGI exchanges and cached CGI runs share: the head,
 * the body within its window, the T frame `deadlineGrace` before the deadline (DeadlineExceededError),
 * and `onHardDeadline` at the deadline. `end()` stops all of it.
 */
export class BridgeCall {
  readonly id: number;
  private readonly sender: BodySender | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly instance: BridgeInstance,
    handler: CallHandler,
    private readonly req: IncomingMessage,
    private readonly setup: CallSetup,
  ) {
    const deadlineIn = softDeadlineIn(req, setup.deadlineGrace);
    this.id = instance.open(handler, { script: setup.script, environ: setup.environ, body: setup.body !== undefined, window: setup.window, deadlineIn });
    if (setup.body) {
      this.sender = new BodySender(instance, this.id, setup.body, setup.onBodyError);
      this.sender.start();
    }
    if (deadlineIn !== undefined) this.timer = setTimeout(this.onSoftDeadline, deadlineIn);
  }

  /** The bridge's A frame: the app has read `bytes` more of the body. */
  ack(bytes: number): void {
    this.sender?.ack(bytes);
  }

  /** Sends a frame for this request (an abort, an acknowledgement). */
  send(type: number, payload?: string): void {
    this.instance.send(type, this.id, payload);
  }

  /** The bridge is done with the request: no more frames or timers, and its later frames are dropped. */
  end(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.sender?.stop();
    this.instance.close(this.id);
  }

  private readonly onSoftDeadline = (): void => {
    if (this.ended) return;
    this.instance.send(Frame.Deadline, this.id);
    this.timer = setTimeout(this.setup.onHardDeadline, Math.max(0, this.req.appEngine!.deadline! - Date.now()));
  };
}
