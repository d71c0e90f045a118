import type { Readable } from 'node:stream';
import type { BridgeInstance } from './bridge.js';
import { Frame } from './frames.js';

/** Request body bytes in flight to the bridge before Node waits for the app to read some. */
const BODY_WINDOW = 256 * 1024;

/**
 * A request body on its way to one call on a bridge: B frames as the client sends it, E at its
 * end, at most `BODY_WINDOW` bytes ahead of what the app has read (the bridge's A frames).
 */
export class BodySender {
  private inFlight = 0;
  private sending = true;

  constructor(
    private readonly instance: BridgeInstance,
    private readonly id: number,
    private readonly body: Readable,
    /** The body failed (cut by the envelope: 413, 408, or the client gone). */
    private readonly onError: () => void,
  ) {}

  start(): void {
    // Read already by someone else (a body parser mounted before appyaml): nothing left to send.
    if (this.body.readableEnded) return this.onEnd();
    this.body.on('data', this.onData);
    this.body.once('end', this.onEnd);
    this.body.once('error', this.onError);
  }

  /** The bridge's A frame: the app has read `bytes` more. */
  ack(bytes: number): void {
    this.inFlight -= bytes;
    if (this.sending && this.inFlight < BODY_WINDOW && this.body.isPaused()) this.body.resume();
  }

  /** The call is over: nothing more is sent. */
  stop(): void {
    this.sending = false;
    const body = this.body;
    body.off('data', this.onData);
    body.off('end', this.onEnd);
    body.off('error', this.onError);
    // Unread body bytes would stall the connection's next request; let Node discard them.
    if (!body.readableEnded) body.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.sending) return;
    this.instance.send(Frame.Body, this.id, chunk);
    this.inFlight += chunk.length;
    if (this.inFlight >= BODY_WINDOW) this.body.pause();
  };

  private readonly onEnd = (): void => {
    if (this.sending) this.instance.send(Frame.End, this.id);
  };
}
