import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { Logger, LogFn } from '../../envelope/logger.js';
import type { PoolInstance } from '../pool-contract.js';
import { spawnProcess, type ExitStatus, type ManagedProcess } from '../process.js';
import { encodeFrame, Frame, FrameDecoder } from './frames.js';

/** Receives one request's frames from its bridge. */
export interface CallHandler {
  /** A frame for this request: S, D, F, R, A or L (see frames.ts). */
  onFrame(type: number, payload: Buffer): void;
  /** The bridge died, or broke the protocol, before the request finished. */
  onGone(): void;
}

/** What a request's H frame carries. */
export interface CallHead {
  script: string;
  /** Keys and values, flat (`requestEnviron`); native strings, every character below U+0100. */
  environ: readonly string[];
  /** Whether B/E frames follow. */
  body: boolean;
  /** Response credit in bytes for streamed responses; 0 when Node takes everything. */
  window: number;
  /**
   * Milliseconds until DeadlineExceededError is due (`softDeadlineIn`); absent: none. A request
   * the bridge serves on its main thread cannot read the T frame meanwhile, so it times itself.
   */
  deadlineIn?: number;
}

/**
 * Milliseconds from now until the app gets DeadlineExceededError: `grace` before the request's
 * deadline, at most half the time left; undefined when the request has no deadline.
 */
export function softDeadlineIn(req: IncomingMessage, grace: number): number | undefined {
  const deadline = req.appEngine?.deadline;
  if (deadline === undefined) return undefined;
  const left = Math.max(0, deadline - Date.now());
  // At least 1 ms: 0 means "no deadline" to the bridge.
  return Math.max(1, Math.round(left - Math.min(grace, left / 2)));
}

/** Settings of one bridge process. */
export interface BridgeSettings {
  /** `GAE_INSTANCE`. */
  id: string;
  python: string;
  root: string;
  /** `script:` names imported before the instance is ready. */
  preload: readonly string[];
  /** Worker threads: the instance's concurrent requests. */
  threads: number;
  /** `wsgi.multithread`. */
  multithread: boolean;
  /** Keys every environ of this instance starts from. */
  environ: Record<string, string>;
  /** The process environment (on top of the inherited basics). */
  env: Record<string, string>;
  logger: Logger;
  /** Fields on this instance's log lines. */
  tags: Record<string, unknown>;
  /** Milliseconds to import the app and say ready. */
  startTimeout: number;
  /** `cgi`: the worker runs CGI scripts in-process (App Engine's app caching) instead of WSGI apps. */
  mode?: 'wsgi' | 'cgi';
}

/** Raised by `start()` when the app cannot be loaded; `stack` carries the Python traceback. */
export class BridgeStartError extends Error {
  override readonly name = 'BridgeStartError';
}

/** Largest frame the bridge may send (its body frames are 256 KiB; headers and logs are capped smaller). */
const MAX_FRAME = 8 * 1024 * 1024;
const SEVERITY_METHOD: Record<string, keyof Logger> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error', CRITICAL: 'fatal' };

let bridgeScript: string | undefined;

function uncork(channel: Socket): void {
  channel.uncork();
}

/**
 * An H frame's payload: script, body flag, window, then environ keys and values, NUL-separated
 * Latin-1 (the values are PEP 3333 native strings already). A pair holding NUL, which the
 * envelope never lets through, is left out rather than allowed to shift the others.
 */
function encodeHead(head: CallHead): Buffer {
  const { environ } = head;
  let text = `${head.script}\0${head.body ? 1 : 0}\0${head.window}\0${head.deadlineIn ?? 0}`;
  for (let i = 0; i < environ.length; i += 2) {
    const key = environ[i]!;
    const value = environ[i + 1]!;
    if (!key.includes('\0') && !value.includes('\0')) text += `\0${key}\0${value}`;
  }
  return Buffer.from(text, 'latin1');
}

/** `wsgi_bridge.py`: next to the bundle in dist/ (`dist/python/`), or in the sources (`lib/backends/python/`). */
export function bridgePath(): string {
  if (bridgeScript) return bridgeScript;
  for (const relative of ['./python/wsgi_bridge.py', '../python/wsgi_bridge.py']) {
    const file = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(file)) return (bridgeScript = file);
  }
  throw new Error('appyaml: wsgi_bridge.py is missing from the package (expected in dist/python/)');
}

/**
 * One instance: a `wsgi_bridge.py` process and its channel (fd 3). Requests are multiplexed on
 * the channel by id, each served by a thread in the bridge.
 */
export class BridgeInstance implements PoolInstance {
  readonly id: string;
  readonly exited: Promise<ExitStatus>;
  private proc: ManagedProcess | undefined;
  private channel: Socket | undefined;
  private readonly calls = new Map<number, CallHandler>();
  private nextId = 1;
  private dead = false;
  private resolveExited!: (status: ExitStatus) => void;
  private starting: { resolve(): void; reject(err: Error): void } | undefined;

  constructor(private readonly settings: BridgeSettings) {
    this.id = settings.id;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  start(): Promise<void> {
    const s = this.settings;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new BridgeStartError(`the app did not load within ${s.startTimeout} ms`)), s.startTimeout);
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.starting = undefined;
        reject(err);
        this.kill();
      };
      this.starting = {
        resolve: () => {
          clearTimeout(timer);
          this.starting = undefined;
          this.proc?.setRef(false);
          resolve();
        },
        reject: fail,
      };
      // The root is on the command line only so that `ps` shows which app a bridge serves.
      const proc = (this.proc = spawnProcess({
        command: s.python,
        args: [bridgePath(), s.root],
        cwd: s.root,
        env: s.env,
        channels: 1,
        logger: s.logger,
        tags: s.tags,
      }));
      void proc.exited.then((status) => this.onExit(status));
      const channel = (this.channel = proc.channels[0]);
      if (!channel) return;
      const decoder = new FrameDecoder(MAX_FRAME, (type, id, payload) => this.onFrame(type, id, payload));
      channel.on('data', (chunk: Buffer) => {
        try {
          decoder.push(chunk);
        } catch (err) {
          // A frame no bridge sends, or one Node could not act on: the channel's state is unknown.
          this.log('error', {}, `Bridge channel failed: ${(err as Error).message}; killing the instance`);
          this.kill();
        }
      });
      // EPIPE/ECONNRESET: the process is dying; its exit is handled there.
      channel.on('error', () => {});
      this.write(
        encodeFrame(
          Frame.Init,
          0,
          JSON.stringify({ root: s.root, preload: s.preload, environ: s.environ, threads: s.threads, multithread: s.multithread, mode: s.mode ?? 'wsgi' }),
        ),
      );
    });
  }

  /** Sends a request's head; frames for it go to `handler` until `close(id)`. Returns its id. */
  open(handler: CallHandler, head: CallHead): number {
    const id = this.nextId;
    this.nextId = id === 0xffffffff ? 1 : id + 1;
    if (this.dead) {
      setImmediate(() => handler.onGone());
      return id;
    }
    if (this.calls.size === 0) this.proc?.setRef(true);
    this.calls.set(id, handler);
    this.write(encodeFrame(Frame.Head, id, encodeHead(head)));
    return id;
  }

  /** Sends a frame for request `id`. */
  send(type: number, id: number, payload?: Buffer | string): void {
    this.write(encodeFrame(type, id, payload));
  }

  /** Forgets request `id`: its later frames, if any, are dropped. */
  close(id: number): void {
    if (this.calls.delete(id) && this.calls.size === 0) this.proc?.setRef(false);
  }

  async stop(): Promise<void> {
    if (!this.proc) return;
    this.channel?.end();
    await this.proc.stop();
  }

  kill(): void {
    if (this.proc) void this.proc.stop(0);
    else this.onExit({ code: null, signal: null });
  }

  private write(frame: Buffer): void {
    const channel = this.channel;
    if (!channel || channel.destroyed || !channel.writable) return;
    // The frames of one event loop turn (several requests' heads, a body) go out in one write.
    if (channel.writableCorked === 0) {
      channel.cork();
      process.nextTick(uncork, channel);
    }
    channel.write(frame);
  }

  private onFrame(type: number, id: number, payload: Buffer): void {
    if (id !== 0) {
      const call = this.calls.get(id);
      if (call) call.onFrame(type, payload);
      else if (type === Frame.Log) this.logLine(payload);
      return;
    }
    if (type === Frame.Log) this.logLine(payload);
    else if (type === Frame.Ready) this.starting?.resolve();
    else if (type === Frame.Failed) {
      const { m, detail } = JSON.parse(payload.toString('utf8')) as { m: string; detail?: string };
      const err = new BridgeStartError(`could not load ${m}`);
      // The Python traceback is the useful stack.
      if (detail) err.stack = `${err.name}: ${err.message}\n${detail.trimEnd()}`;
      this.starting?.reject(err);
    }
  }

  /** Writes an L frame's line to `logger` (a request's, which adds its ids), tagged with this instance. */
  logLine(payload: Buffer, logger: Logger = this.settings.logger): void {
    const { s, m, src } = JSON.parse(payload.toString('utf8')) as { s: string; m: string; src?: Record<string, unknown> };
    const method = SEVERITY_METHOD[s] ?? 'info';
    const fields: Record<string, unknown> = { ...this.settings.tags, instance: this.id, severity: s };
    if (src) fields['logging.googleapis.com/sourceLocation'] = src;
    const fn = (logger[method] as LogFn | undefined) ?? logger.error;
    fn.call(logger, fields, m);
  }

  private log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
    this.settings.logger[level]({ ...this.settings.tags, instance: this.id, ...fields }, message);
  }

  private onExit(status: ExitStatus): void {
    // Frames the bridge wrote just before exiting (its import error, a last response) may still
    // be unread: take them before declaring anything lost.
    const channel = this.channel;
    if (!channel || channel.destroyed) return this.gone(status);
    const timer = setTimeout(() => this.gone(status), 200);
    channel.once('close', () => {
      clearTimeout(timer);
      this.gone(status);
    });
  }

  private gone(status: ExitStatus): void {
    if (this.dead) return;
    this.dead = true;
    if (this.channel && !this.channel.destroyed) this.channel.destroy();
    this.starting?.reject(
      new BridgeStartError(
        status.error
          ? `could not run ${this.settings.python}: ${status.error.message}`
          : `the bridge exited before it was ready (${status.signal ?? `code ${status.code}`})`,
      ),
    );
    const calls = [...this.calls.values()];
    this.calls.clear();
    this.resolveExited(status);
    // Failed once the pool has taken the instance out of service (it learns it from `exited`),
    // so that the slots these requests free are not handed to a dead instance.
    setImmediate(() => {
      for (const call of calls) call.onGone();
    });
  }
}
