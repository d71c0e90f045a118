import type { Logger } from '../envelope/logger.js';
import type { ScalingPolicy } from './scaling.js';

/*
 * What a pool and the instances it runs promise each other, and how acquiring a slot fails.
 * Any backend that runs processes (WSGI bridges, CGI, a flex entrypoint) implements PoolInstance.
 */

/** One instance a pool runs: a process serving requests (a WSGI bridge, a flex server...). */
export interface PoolInstance {
  /** `GAE_INSTANCE`; also what log lines name. */
  readonly id: string;
  /** Starts it; resolves once it can take requests, rejects if it cannot (and is then gone). */
  start(): Promise<void>;
  /** Stops it gracefully (then forcibly); resolves once it is gone. */
  stop(): Promise<void>;
  /** Stops it now (a request it could not give up in time). */
  kill(): void;
  /** Settles once it is gone, for whatever reason; a pool learns of crashes here. */
  readonly exited: Promise<unknown>;
}

/** A slot on an instance; `release` it exactly once when the request is over. */
export interface Lease<I extends PoolInstance> {
  readonly instance: I;
  /** The request is over and the instance survived it; this also ends a run of crashes. */
  release(): void;
}

/** The request that App Engine sends a new instance before traffic (see `PoolOptions.startRequest`). */
export type StartPath = '/_ah/warmup' | '/_ah/start';

/** Options of `Pool`. */
export interface PoolOptions<I extends PoolInstance> {
  /** Makes a new, not yet started, instance. */
  create(): I;
  scaling: ScalingPolicy;
  /** Requests one instance takes at once. */
  slots: number;
  /**
   * Sends `path` to a started instance before it takes traffic and resolves with the status:
   * `/_ah/start` for basic and manual scaling (anything but 2xx or 404 fails the start, as on App
   * Engine), `/_ah/warmup` for automatic scaling when `warmup` is set (a failure is only logged).
   */
  startRequest?: (instance: I, path: StartPath) => Promise<number>;
  /** app.yaml's `inbound_services: [warmup]`. */
  warmup?: boolean;
  /** Milliseconds a request waits for a slot before `acquire` fails with `QueueTimeoutError`. Default 10 000, as the dev server. */
  queueTimeout?: number;
  /** Restart delays after consecutive failures, in ms: `initial`, doubling up to `max`. Default 500 → 30 000. */
  backoff?: { initial: number; max: number };
  logger: Logger;
  /** Fields on the pool's log lines (the service). */
  tags?: Record<string, unknown>;
}

/** `acquire` after `close`. */
export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
  constructor() {
    super('the backend is shutting down');
  }
}

/** No slot freed up within `queueTimeout`. */
export class QueueTimeoutError extends Error {
  override readonly name = 'QueueTimeoutError';
  constructor(ms: number) {
    super(`no instance could take the request within ${ms} ms`);
  }
}

/** Instances cannot start (the app does not load); `cause` is the last start failure. */
export class StartFailedError extends Error {
  override readonly name = 'StartFailedError';
  constructor(cause: Error) {
    super(`no instance could start: ${cause.message}`, { cause });
  }
}
