/**
 * The pool on its own, with in-memory instances whose start time, failures and crashes the
 * tests decide: queueing, scaling policies, backoff, replacement, start hooks, reaping, close.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../lib/envelope/logger.js';
import { Pool } from '../../lib/backends/pool.js';
import { PoolClosedError, QueueTimeoutError, StartFailedError, type PoolInstance, type PoolOptions, type StartPath } from '../../lib/backends/pool-contract.js';
import type { ScalingPolicy } from '../../lib/backends/scaling.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Behaviour {
  startMs?: number;
  /** The start fails with this error. */
  fail?: string;
  /** The instance dies during its start (its exit is seen before the failed start). */
  dieWhileStarting?: boolean;
}

class TestInstance implements PoolInstance {
  readonly exited: Promise<void>;
  stopped = false;
  private exit!: () => void;
  constructor(
    readonly id: string,
    private readonly behaviour: Behaviour,
  ) {
    this.exited = new Promise((resolve) => (this.exit = resolve));
  }
  async start(): Promise<void> {
    await sleep(this.behaviour.startMs ?? 1);
    if (this.behaviour.dieWhileStarting) {
      this.exit();
      await sleep(1);
      throw new Error('died while starting');
    }
    if (this.behaviour.fail) {
      this.exit();
      throw new Error(this.behaviour.fail);
    }
  }
  stop(): Promise<void> {
    this.stopped = true;
    this.exit();
    return this.exited;
  }
  kill(): void {
    this.stopped = true;
    this.exit();
  }
  crash(): void {
    this.exit();
  }
}

function pool(scaling: ScalingPolicy, options: Partial<PoolOptions<TestInstance>> & { behaviour?: () => Behaviour } = {}) {
  const made: TestInstance[] = [];
  const p = new Pool<TestInstance>({
    create: () => {
      const instance = new TestInstance(`i${made.length}`, options.behaviour?.() ?? {});
      made.push(instance);
      return instance;
    },
    scaling,
    slots: 1,
    logger: silentLogger,
    backoff: { initial: 100, max: 400 },
    ...options,
  });
  return { p, made };
}

const auto = (max: number, extra: Partial<Extract<ScalingPolicy, { kind: 'automatic' }>> = {}): ScalingPolicy => ({
  kind: 'automatic',
  minInstances: 0,
  maxInstances: max,
  maxPendingLatency: 10_000,
  idleTimeout: 60_000,
  ...extra,
});

describe('Pool', () => {
  test('starts on demand, serves waiting requests in arrival order, never beyond max_instances', async () => {
    const { p, made } = pool(auto(2));
    const order: number[] = [];
    const leases = [1, 2, 3, 4].map((n) => p.acquire().then((lease) => (order.push(n), lease)));
    const [a, b] = await Promise.all([leases[0]!, leases[1]!]);
    assert.equal(made.length, 2);
    assert.notEqual(a.instance, b.instance);
    a.release();
    const c = await leases[2]!;
    assert.equal(c.instance, a.instance);
    b.release();
    await leases[3];
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.equal(made.length, 2);
    await p.close();
  });

  test('tryAcquire takes a free slot without waiting, and only then', async () => {
    const { p } = pool(auto(1));
    assert.equal(p.tryAcquire(), undefined);
    const first = await p.acquire();
    first.release();
    const again = p.tryAcquire();
    assert.equal(again?.instance, first.instance);
    assert.equal(p.tryAcquire(), undefined, 'the one slot is taken');
    await p.close();
  });

  test('slots: an instance takes that many requests at once, the least busy first', async () => {
    const { p, made } = pool(auto(2), { slots: 3 });
    const leases = await Promise.all([p.acquire(), p.acquire(), p.acquire()]);
    assert.equal(made.length, 1);
    assert.equal(new Set(leases.map((l) => l.instance)).size, 1);
    await p.acquire();
    assert.equal(made.length, 2, 'a fourth request needs a second instance');
    await p.close();
  });

  test('a request waiting longer than max_pending_latency gets another instance started', async () => {
    const { p, made } = pool(auto(3, { maxPendingLatency: 50 }), { slots: 5, behaviour: () => ({ startMs: 300 }) });
    const waiting = p.acquire();
    await sleep(20);
    assert.equal(made.length, 1, 'one instance covers one waiting request');
    await sleep(80);
    assert.equal(made.length, 2, 'the pending latency passed');
    await waiting;
    await p.close();
  });

  test('a request that waits longer than queueTimeout fails', async () => {
    const { p } = pool({ kind: 'manual', instances: 1 }, { queueTimeout: 50 });
    const held = await p.acquire();
    await assert.rejects(p.acquire(), QueueTimeoutError);
    held.release();
    await p.close();
  });

  test('an aborted signal takes a request out of the line', async () => {
    const { p } = pool({ kind: 'manual', instances: 1 });
    await p.acquire();
    const controller = new AbortController();
    const waiting = p.acquire(controller.signal);
    controller.abort(new Error('client left'));
    await assert.rejects(waiting, /client left/);
    await p.close();
  });

  test('start failures: requests fail at once, one start attempt per backoff delay, the delay doubles', async () => {
    const { p, made } = pool(auto(2), { behaviour: () => ({ fail: 'ImportError: no module named app' }) });
    await assert.rejects(p.acquire(), (err: Error) => err instanceof StartFailedError && /ImportError/.test(err.message));
    for (let i = 0; i < 5; i++) await assert.rejects(p.acquire(), StartFailedError);
    assert.equal(made.length, 1, 'no restart storm');
    await sleep(120);
    await assert.rejects(p.acquire(), StartFailedError);
    assert.equal(made.length, 2, 'retried after the first delay (100 ms)');
    await sleep(120);
    await assert.rejects(p.acquire(), StartFailedError);
    assert.equal(made.length, 2, 'the second delay is 200 ms');
    await p.close();
  });

  test('an instance that dies while starting is a start failure too (no restart loop)', async () => {
    const { p, made } = pool(auto(2), { behaviour: () => ({ dieWhileStarting: true }) });
    await assert.rejects(p.acquire(), StartFailedError);
    await sleep(50);
    assert.equal(made.length, 1);
    await p.close();
  });

  test('a crash after normal requests is replaced at once; crashes before any are backed off', async () => {
    const { p, made } = pool(auto(1));
    const first = await p.acquire();
    first.release();
    first.instance.crash();
    await sleep(5);
    const second = await p.acquire();
    assert.equal(made.length, 2);
    second.instance.crash();
    await sleep(5);
    const started = Date.now();
    const third = await p.acquire();
    assert.ok(Date.now() - started >= 90, 'waited for the backoff delay');
    assert.equal(made.length, 3);
    third.release();
    await p.close();
  });

  test('manual scaling: instances start at boot, get /_ah/start, and are replaced after a crash', async () => {
    const paths: StartPath[] = [];
    const { p, made } = pool({ kind: 'manual', instances: 2 }, { startRequest: async (_i, path) => (paths.push(path), 200) });
    assert.equal(made.length, 2, 'started at construction');
    const lease = await p.acquire();
    await sleep(10);
    assert.deepEqual(paths, ['/_ah/start', '/_ah/start']);
    lease.release();
    made[0]!.crash();
    await sleep(10);
    assert.equal(made.length, 3);
    assert.equal(p.instances.length, 2);
    await p.close();
    assert.ok(made.every((m) => m.stopped || m === made[0]));
  });

  test('/_ah/start answering 500 fails the start; /_ah/warmup failing only warns', async () => {
    const start = pool({ kind: 'basic', maxInstances: 1, idleTimeout: 60_000 }, { startRequest: async () => 500 });
    await assert.rejects(start.p.acquire(), /_ah\/start answered 500/);
    await start.p.close();
    const warm = pool(auto(1), { warmup: true, startRequest: async () => 500 });
    const lease = await warm.p.acquire();
    assert.ok(lease);
    await warm.p.close();
    const cold = pool(auto(1), {
      startRequest: async () => {
        throw new Error('never called without warmup');
      },
    });
    assert.ok(await cold.p.acquire());
    await cold.p.close();
  });

  test('idle instances are stopped after idleTimeout, down to min_instances', async () => {
    const { p, made } = pool(auto(3, { minInstances: 1, idleTimeout: 60 }));
    await sleep(10);
    assert.equal(made.length, 1, 'min_instances started at boot');
    const leases = await Promise.all([p.acquire(), p.acquire(), p.acquire()]);
    assert.equal(made.length, 3);
    for (const lease of leases) lease.release();
    await sleep(250);
    assert.equal(p.instances.length, 1);
    assert.equal(made.filter((m) => m.stopped).length, 2);
    await p.close();
  });

  test('retire kills an instance without counting it as a failure', async () => {
    const { p, made } = pool(auto(1));
    const lease = await p.acquire();
    p.retire(lease.instance);
    await sleep(5);
    assert.equal(made[0]!.stopped, true);
    lease.release();
    const started = Date.now();
    await p.acquire();
    assert.ok(Date.now() - started < 80, 'replaced without a backoff delay');
    await p.close();
  });

  test('close stops every instance and fails waiting and later requests', async () => {
    const { p, made } = pool({ kind: 'manual', instances: 1 });
    await p.acquire();
    const waiting = p.acquire();
    await p.close();
    await assert.rejects(waiting, PoolClosedError);
    await assert.rejects(p.acquire(), PoolClosedError);
    assert.equal(made[0]!.stopped, true);
  });
});
