import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../envelope/logger.js';
import type { PoolInstance } from '../pool-contract.js';
import { spawnProcess, type ExitStatus, type ManagedProcess } from '../process.js';
import { check, watchLiveness, type HealthCheckPolicy, type LivenessPolicy } from './health.js';

/** Options of `EntrypointInstance`. */
export interface EntrypointInstanceOptions {
  /** `GAE_INSTANCE`. */
  id: string;
  /** The shell command line, run as `sh -c 'exec <command>'`. */
  command: string;
  /** The app folder: the working directory. */
  root: string;
  /** The process environment for a port (App Engine's variables, `PORT`, `env_variables`...), on top of the inherited basics. */
  env: (port: number) => Promise<Record<string, string>> | Record<string, string>;
  logger: Logger;
  tags: Record<string, unknown>;
  /** Milliseconds the process has to listen on `PORT` (and pass the readiness check). */
  startTimeout: number;
  /** Milliseconds between SIGTERM to the process and SIGKILL to its group. */
  stopGrace: number;
  readiness: HealthCheckPolicy;
  liveness: LivenessPolicy | undefined;
  /** The liveness check failed: the instance should be replaced. */
  onUnhealthy: (instance: EntrypointInstance) => void;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** How often a starting instance is asked whether it is ready. */
const READY_POLL = 50;

function describeExit(status: ExitStatus): string {
  if (status.error) return `could not start (${status.error.message})`;
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}

/** A free loopback port (the usual race with whoever binds it next is settled by the start's retry). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * One instance of a flex (or second-generation) app: the `entrypoint` as its own process group,
 * listening on a loopback `PORT` of its own, ready once the port accepts connections (or the
 * readiness path answers 2xx), watched by the liveness check when app.yaml has one.
 */
export class EntrypointInstance implements PoolInstance {
  readonly id: string;
  /** The port it listens on; 0 until `start()` picked one. */
  port = 0;
  readonly exited: Promise<ExitStatus>;
  private process: ManagedProcess | undefined;
  private settle!: (status: ExitStatus) => void;
  private liveness: { stop(): void } | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  /** Stopped (or killed) before or while starting: no process may be spawned any more. */
  private stopped = false;

  constructor(private readonly options: EntrypointInstanceOptions) {
    this.id = options.id;
    this.exited = new Promise((resolve) => (this.settle = resolve));
  }

  /** The process's pid (its process group's id), once started. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  async start(): Promise<void> {
    const { options } = this;
    const port = (this.port = await freePort());
    const env = await options.env(port);
    if (this.stopped) throw new Error('the instance was stopped before it started');
    const command = /^exec\s/.test(options.command) ? options.command : `exec ${options.command}`;
    // With util-linux's setpriv, the server is sent SIGTERM if Node dies without stopping it (SIGKILL, a crash).
    const [program, ...args] = SETPRIV ? [SETPRIV, '--pdeathsig', 'TERM', '--', '/bin/sh', '-c', command] : ['/bin/sh', '-c', command];
    const proc = (this.process = spawnProcess({ command: program!, args, cwd: options.root, env, logger: options.logger, tags: options.tags }));
    // An idle server is no reason for Node to stay up: the HTTP server it sits behind is.
    proc.setRef(false);
    void proc.exited.then((status) => {
      this.liveness?.stop();
      clearTimeout(this.killTimer);
      this.settle(status);
    });
    await this.ready(proc, port);
    if (options.liveness && proc.running) {
      this.liveness = watchLiveness(port, options.liveness, (failures) => {
        options.logger.warn({ ...options.tags, instance: this.id, failures }, `liveness_check failed ${failures} times in a row; restarting the instance`);
        options.onUnhealthy(this);
      });
    }
  }

  /** SIGTERM to the server itself (gunicorn then stops its workers), SIGKILL to its group after the grace period. */
  stop(): Promise<void> {
    this.stopped = true;
    this.liveness?.stop();
    const proc = this.process;
    if (!proc?.running) {
      this.kill();
      return this.exited.then(() => undefined);
    }
    proc.child.kill('SIGTERM');
    this.killTimer ??= setTimeout(() => proc.signal('SIGKILL'), this.options.stopGrace);
    return this.exited.then(() => undefined);
  }

  kill(): void {
    this.stopped = true;
    this.liveness?.stop();
    if (this.process) void this.process.stop(0);
    else this.settle({ code: null, signal: null });
  }

  private async ready(proc: ManagedProcess, port: number): Promise<void> {
    const { startTimeout, readiness, command } = this.options;
    const end = Date.now() + startTimeout;
    let successes = 0;
    let gone: ExitStatus | undefined;
    void proc.exited.then((status) => (gone = status));
    const needed = readiness.path === undefined ? 1 : readiness.successThreshold;
    for (;;) {
      const ok = await check(port, { ...readiness, timeout: Math.min(readiness.timeout, Math.max(1, end - Date.now())) });
      if (gone) throw new Error(`the entrypoint \`${command}\` ${describeExit(gone)} before it was ready on $PORT`);
      successes = ok ? successes + 1 : 0;
      if (successes >= needed) return;
      if (Date.now() >= end) {
        const what = readiness.path === undefined ? 'listen on $PORT' : `answer readiness_check ${readiness.path} with 2xx`;
        throw new Error(`the entrypoint \`${command}\` did not ${what} within ${startTimeout / 1000} s`);
      }
      await sleep(READY_POLL);
    }
  }
}
