import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Lease } from '../pool-contract.js';
import { BridgeCall } from '../wsgi/bridge-call.js';
import type { BridgeInstance, CallHandler } from '../wsgi/bridge.js';
import { Frame } from '../wsgi/frames.js';
import { CgiExchange, type CgiSettings } from './exchange.js';

/** What a run on a cached worker needs besides the request. */
export interface CachedSettings extends CgiSettings {
  /** Milliseconds before the deadline at which the script gets DeadlineExceededError (at most half the time left). */
  deadlineGrace: number;
  /** Replaces a worker whose script overran its deadline or could not be stopped. */
  retire(instance: BridgeInstance): void;
}

/**
 * A `.py` CGI script run inside a persistent worker, as App Engine's python27 did ("app
 * caching"): the worker installs the meta-variables in `os.environ`, the body as stdin and a
 * capture as stdout, then calls the script's cached `main()` or runs the script again. Its
 * stdout comes back in D frames and goes through the same strict parser as a spawned script's.
 * An exception in the script is App Engine's 500 (traceback to the log).
 */
export class CachedScript extends CgiExchange implements CallHandler {
  private settled = false;
  private call!: BridgeCall;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    private readonly cached: CachedSettings,
    private readonly lease: Lease<BridgeInstance>,
    /** The script's real path, which is also what the worker caches it under. */
    script: string,
    private readonly body: Readable | undefined,
  ) {
    super(req, res, cached, script);
  }

  /** `environ`: the meta-variables as native strings, flat pairs. */
  start(environ: readonly string[]): void {
    const setup = { script: this.script, environ, body: this.body, window: 0, deadlineGrace: this.cached.deadlineGrace };
    this.call = new BridgeCall(this.lease.instance, this, this.req, { ...setup, onBodyError: this.onBodyError, onHardDeadline: this.onHardDeadline });
    this.watch();
  }

  onFrame(type: number, payload: Buffer): void {
    switch (type) {
      case Frame.Data:
        return this.onOutput(payload);
      case Frame.Finished:
        if (this.settle()) this.complete();
        return;
      case Frame.Failed:
        if (!this.settle() || this.answered) return;
        // The traceback is in the log already, from the worker.
        this.logger().error({ script: this.script }, `The CGI script failed: ${(JSON.parse(payload.toString('utf8')) as { m: string }).m}; answered 500`);
        return this.fail(500);
      case Frame.Ack:
        return this.call.ack(Number(payload.toString('latin1')));
      case Frame.Log:
        return this.lease.instance.logLine(payload, this.logger());
    }
  }

  onGone(): void {
    if (!this.settle() || this.answered) return;
    this.logger().error({ instance: this.lease.instance.id, script: this.script }, 'The CGI worker serving this request exited; answered 502');
    this.fail(502);
  }

  protected abandon(): void {
    if (!this.settled) this.call.send(Frame.Abort);
  }

  /** The worker is done with the request: frees the slot. False if it already was. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.call.end();
    this.unwatch();
    this.lease.release();
    return true;
  }

  /** A body cut by the envelope (413, 408): answered there; the script stops. */
  private readonly onBodyError = (): void => {
    this.answered = true;
    this.abandon();
  };

  private readonly onHardDeadline = (): void => {
    if (this.settled) return;
    this.logger().error({ instance: this.lease.instance.id, script: this.script }, 'The CGI script did not answer by the deadline; killing its worker');
    // The envelope, whose deadline this is, answers the client at this same moment (500 or the
    // timeout page), as for WSGI; answering here too would race it.
    this.answered = true;
    this.cached.retire(this.lease.instance);
  };
}
