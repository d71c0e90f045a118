import { PoolClosedError, QueueTimeoutError, StartFailedError, type Lease, type PoolInstance, type PoolOptions, type StartPath } from './pool-contract.js';

type State = 'starting' | 'ready' | 'stopping' | 'gone';

interface Member<I> {
  instance: I;
  state: State;
  busy: number;
  idleSince: number;
  /** Requests it saw through (whatever the app answered). */
  served: number;
}

interface Waiter<I extends PoolInstance> {
  resolve(lease: Lease<I>): void;
  reject(err: Error): void;
  cleanup(): void;
}

const DEFAULT_QUEUE_TIMEOUT = 10_000;
const DEFAULT_BACKOFF = { initial: 500, max: 30_000 };

/**
 * A service's instances and their request slots, scaled as app.yaml says. Requests wait in
 * arrival order for a free slot; the least busy ready instance takes the next one. Instances
 * that crash or fail to start are replaced, after a delay that doubles with each failure in a
 * row (none for a crash after normal requests), so a broken app never causes a restart storm;
 * while the app cannot start at all, requests fail at once with `StartFailedError`.
 */
export class Pool<I extends PoolInstance> {
  private readonly members: Array<Member<I>> = [];
  private readonly waiters: Array<Waiter<I>> = [];
  private readonly queueTimeout: number;
  private readonly backoff: { initial: number; max: number };
  private failures = 0;
  private retryAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private startError: Error | undefined;
  private loggedStartError: string | undefined;
  private readonly reaper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PoolOptions<I>) {
    this.queueTimeout = options.queueTimeout ?? DEFAULT_QUEUE_TIMEOUT;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    const { scaling } = options;
    if (scaling.kind !== 'manual') {
      const every = Math.min(30_000, Math.max(20, scaling.idleTimeout / 4));
      this.reaper = setInterval(() => this.reap(), every).unref();
    }
    this.fill();
  }

  /** The instances running or starting. */
  get instances(): I[] {
    return this.members.filter((m) => m.state === 'starting' || m.state === 'ready').map((m) => m.instance);
  }

  /** A free slot now, without waiting (the common case, without a promise), or undefined. */
  tryAcquire(): Lease<I> | undefined {
    const free = this.closed ? undefined : this.freeMember();
    return free && this.lease(free);
  }

  /**
   * A slot for one request: at once when one is free, else after waiting in line (starting an
   * instance when the scaling allows). Rejects with `PoolClosedError`, `QueueTimeoutError`,
   * `StartFailedError`, or `signal`'s reason.
   */
  acquire(signal?: AbortSignal): Promise<Lease<I>> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    const free = this.freeMember();
    if (free) return Promise.resolve(this.lease(free));
    if (this.startError && !this.members.some(isLive) && Date.now() < this.retryAt) {
      return Promise.reject(new StartFailedError(this.startError));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Lease<I>>((resolve, reject) => {
      const timeout = setTimeout(() => fail(new QueueTimeoutError(this.queueTimeout)), this.queueTimeout);
      const { scaling } = this.options;
      // Requests waiting longer than max_pending_latency get another instance started.
      const latency = scaling.kind === 'automatic' ? setTimeout(() => this.grow(true), scaling.maxPendingLatency) : undefined;
      const onAbort = () => fail(signal!.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter<I> = {
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timeout);
          clearTimeout(latency);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      const fail = (err: Error) => {
        const at = this.waiters.indexOf(waiter);
        if (at === -1) return;
        this.waiters.splice(at, 1);
        waiter.cleanup();
        reject(err);
      };
      this.waiters.push(waiter);
      this.grow(false);
    });
  }

  /** Takes an instance out of service and kills it (it overran a deadline); it is replaced as needed. */
  retire(instance: I): void {
    const member = this.members.find((m) => m.instance === instance);
    if (!member || member.state === 'gone' || member.state === 'stopping') return;
    member.state = 'stopping';
    instance.kill();
  }

  /** Stops every instance (gracefully) and fails waiting requests; resolves once all are gone. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    clearTimeout(this.retryTimer);
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(new PoolClosedError());
    }
    await Promise.all(
      this.members.map((m) => {
        if (m.state !== 'gone') m.state = 'stopping';
        return m.instance.stop();
      }),
    );
  }

  private freeMember(): Member<I> | undefined {
    let best: Member<I> | undefined;
    for (const m of this.members) {
      if (m.state === 'ready' && m.busy < this.options.slots && (!best || m.busy < best.busy)) {
        best = m;
        if (m.busy === 0) break;
      }
    }
    return best;
  }

  private lease(member: Member<I>): Lease<I> {
    member.busy++;
    let released = false;
    return {
      instance: member.instance,
      release: () => {
        if (released) return;
        released = true;
        this.release(member);
      },
    };
  }

  private release(member: Member<I>): void {
    if (member.state === 'gone') return;
    member.busy--;
    member.served++;
    this.failures = 0;
    if (member.busy === 0) member.idleSince = Date.now();
    this.dispatch();
  }

  private dispatch(): void {
    while (this.waiters.length > 0) {
      const member = this.freeMember();
      if (!member) return;
      const waiter = this.waiters.shift()!;
      waiter.cleanup();
      waiter.resolve(this.lease(member));
    }
  }

  /** How many instances the policy wants running regardless of traffic. */
  private floor(): number {
    const { scaling } = this.options;
    return scaling.kind === 'manual' ? scaling.instances : scaling.kind === 'automatic' ? scaling.minInstances : 0;
  }

  private ceiling(): number {
    const { scaling } = this.options;
    return scaling.kind === 'manual' ? scaling.instances : scaling.maxInstances;
  }

  /** Starts instances up to the floor. */
  private fill(): void {
    while (!this.closed && this.members.filter(isLive).length < this.floor()) {
      if (!this.mayStart()) return;
      this.startMember();
    }
  }

  /**
   * Starts an instance for waiting requests when the slots of those already starting do not
   * cover them, or (`urgent`) when a request has waited longer than max_pending_latency.
   */
  private grow(urgent: boolean): void {
    if (this.closed || this.waiters.length === 0) return;
    for (;;) {
      const live = this.members.filter(isLive);
      if (live.length >= this.ceiling()) return;
      const starting = live.filter((m) => m.state === 'starting').length * this.options.slots;
      if (!urgent && this.waiters.length <= starting) return;
      if (!this.mayStart()) return;
      this.startMember();
      if (urgent) return;
    }
  }

  /** False during a backoff delay, with a retry scheduled for its end. */
  private mayStart(): boolean {
    const wait = this.retryAt - Date.now();
    if (wait <= 0) return true;
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.fill();
      this.grow(false);
    }, wait).unref();
    return false;
  }

  private startMember(): void {
    const instance = this.options.create();
    const member: Member<I> = { instance, state: 'starting', busy: 0, idleSince: Date.now(), served: 0 };
    this.members.push(member);
    void instance.exited.then(() => this.onExit(member));
    instance
      .start()
      .then(() => this.prepare(member))
      .then(
        () => {
          if (member.state !== 'starting') return;
          member.state = 'ready';
          member.idleSince = Date.now();
          this.startError = undefined;
          this.loggedStartError = undefined;
          this.dispatch();
        },
        (err: unknown) => this.onStartFailed(member, err instanceof Error ? err : new Error(String(err))),
      );
  }

  /** The /_ah/start or /_ah/warmup request, if any, before the instance takes traffic. */
  private async prepare(member: Member<I>): Promise<void> {
    const { startRequest, scaling, warmup } = this.options;
    const path: StartPath | undefined = scaling.kind !== 'automatic' ? '/_ah/start' : warmup ? '/_ah/warmup' : undefined;
    if (!startRequest || !path || member.state !== 'starting') return;
    let status: number;
    try {
      status = await startRequest(member.instance, path);
    } catch (err) {
      if (path === '/_ah/start') throw err;
      this.log('warn', member, `${path} failed: ${(err as Error).message}`);
      return;
    }
    if ((status >= 200 && status < 300) || status === 404) return;
    if (path === '/_ah/start') throw new Error(`/_ah/start answered ${status}`);
    this.log('warn', member, `${path} answered ${status}`);
  }

  private onStartFailed(member: Member<I>, err: Error): void {
    if (member.state === 'gone') return;
    const stopped = member.state === 'stopping';
    this.remove(member);
    member.instance.kill();
    if (stopped) return;
    this.failed();
    this.startError = err;
    // The same failure (an import error) is logged once, however often restarts meet it.
    if (err.message !== this.loggedStartError) {
      this.loggedStartError = err.message;
      this.log('error', member, `Instance failed to start: ${err.message}`, err);
    }
    if (!this.members.some(isLive)) {
      for (const waiter of this.waiters.splice(0)) {
        waiter.cleanup();
        waiter.reject(new StartFailedError(err));
      }
    }
    this.fill();
  }

  private onExit(member: Member<I>): void {
    // An instance that dies while starting fails its start(), which is handled there.
    if (member.state === 'gone' || member.state === 'starting') return;
    const expected = member.state === 'stopping';
    this.remove(member);
    if (!expected) {
      // A crash before any normal request counts towards the backoff; after some, it is news.
      if (member.served === 0) this.failed();
      this.log('warn', member, 'Instance exited unexpectedly; it will be replaced');
    }
    if (this.closed) return;
    this.fill();
    this.grow(false);
  }

  private failed(): void {
    this.failures++;
    const delay = Math.min(this.backoff.max, this.backoff.initial * 2 ** (this.failures - 1));
    this.retryAt = Date.now() + delay;
  }

  private remove(member: Member<I>): void {
    member.state = 'gone';
    const at = this.members.indexOf(member);
    if (at !== -1) this.members.splice(at, 1);
  }

  /** Stops instances idle past the policy's idle timeout, keeping the floor. */
  private reap(): void {
    const { scaling } = this.options;
    if (scaling.kind === 'manual' || this.closed) return;
    const now = Date.now();
    let live = this.members.filter(isLive).length;
    for (const m of [...this.members]) {
      if (live <= this.floor()) return;
      if (m.state !== 'ready' || m.busy > 0 || now - m.idleSince < scaling.idleTimeout) continue;
      m.state = 'stopping';
      live--;
      this.log('info', m, 'Stopping idle instance');
      void m.instance.stop();
    }
  }

  private log(level: 'info' | 'warn' | 'error', member: Member<I>, message: string, err?: Error): void {
    this.options.logger[level]({ ...this.options.tags, instance: member.instance.id, ...(err ? { err } : {}) }, message);
  }
}

function isLive<I>(m: Member<I>): boolean {
  return m.state === 'starting' || m.state === 'ready';
}
