/** Why work on a request stopped early. */
export type AbortCause = 'deadline' | 'body-too-large' | 'body-timeout' | 'client-closed';

const MESSAGES: Record<AbortCause, string> = {
  deadline: 'the request deadline passed',
  'body-too-large': 'the request body went over its size limit',
  'body-timeout': 'the client stopped sending the request body',
  'client-closed': 'the client closed the connection',
};

/** The `reason` of `req.appEngine.signal` when it aborts. */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError';
  constructor(readonly code: AbortCause) {
    super(MESSAGES[code]);
  }
}

/**
 * A request's abort state. The `AbortController` behind `signal` is only made when someone asks
 * for the signal: most requests never need one, and making it costs more than the rest of the
 * bookkeeping.
 */
export class RequestAbort {
  #controller: AbortController | undefined;
  /** Why the request was aborted, once it was; the first cause wins. */
  reason: RequestAbortedError | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.reason) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort(cause: AbortCause): void {
    if (this.reason) return;
    this.reason = new RequestAbortedError(cause);
    this.#controller?.abort(this.reason);
  }
}
