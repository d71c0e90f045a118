import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Logger } from '../envelope/logger.js';
import { LineSplitter } from './lines.js';

/** How a child process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it could not be started at all (`ENOENT`, `EACCES`...). */
  error?: Error;
}

/** Options of `spawnProcess`. */
export interface SpawnOptions {
  /** The program: an absolute path, or a name looked up on `PATH`. Never run through a shell. */
  command: string;
  /** Its arguments; nothing from a request belongs here. */
  args: readonly string[];
  cwd: string;
  /**
   * Variables on top of the few inherited from Node's own environment (`inheritedEnvironment()`):
   * a child never sees the rest of Node's environment (credentials, tokens...).
   */
  env?: Readonly<Record<string, string>>;
  /** Extra duplex channels (Unix socket pairs) the child gets as fds 3, 4, ...; default 0. */
  channels?: number;
  /**
   * Whether stdin and stdout are pipes the caller writes and reads (`child.stdin`, `child.stdout`),
   * as a CGI script's request body and response; default false: stdin is empty and stdout is logged.
   */
  ownStdio?: boolean;
  /** Where the child's stdout (INFO) and stderr (ERROR) lines go. */
  logger: Logger;
  /** Fields added to each of those lines: instance id, service, request id for per-request processes. */
  tags?: Readonly<Record<string, unknown>>;
  /** Milliseconds between SIGTERM and SIGKILL when stopping; default 2000. */
  stopGrace?: number;
}

/** Longest output line kept whole; the rest of a longer line is dropped. */
export const MAX_LINE_BYTES = 16 * 1024;
const DEFAULT_STOP_GRACE = 2000;

/** Variables a child inherits from Node: enough to find programs, speak the locale and write temp files. */
const INHERITED = /^(PATH|HOME|LANG|LANGUAGE|TZ|TMPDIR|LC_[A-Z]+)$/;

/** The allow-listed part of `source` (default Node's environment) that children inherit. */
export function inheritedEnvironment(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && INHERITED.test(name)) env[name] = value;
  }
  return env;
}

/**
 * A child process in its own process group, so that stopping it reaches everything it started.
 * Every live one is killed when Node exits (see `killAllOnExit`).
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  /** Undefined when spawning failed (see `exited`). */
  readonly pid: number | undefined;
  /** The extra channels, as fds 3, 4, ... in the child. */
  readonly channels: Socket[];
  /** Settles once the process has exited (or could not start). */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly stopGrace: number;

  constructor(options: SpawnOptions) {
    const extra = options.channels ?? 0;
    this.stopGrace = options.stopGrace ?? DEFAULT_STOP_GRACE;
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...inheritedEnvironment(), ...options.env },
      // setsid(): the child leads a new process group (and session), apart from Node's terminal.
      detached: true,
      shell: false,
      stdio: [options.ownStdio ? 'pipe' : 'ignore', 'pipe', 'pipe', ...Array<'pipe'>(extra).fill('pipe')],
    });
    this.pid = this.child.pid;
    this.channels = this.child.stdio.slice(3) as Socket[];
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve((this.status = { code, signal })));
      // 'error' also reports failed kills; only a process that never started ends here.
      this.child.on('error', (error) => {
        if (this.child.pid === undefined) resolve((this.status = { code: null, signal: null, error }));
      });
    });
    const tags = options.tags ?? {};
    if (!options.ownStdio) capture(this.child.stdout, (line, truncated) => options.logger.info({ ...tags, stream: 'stdout', ...(truncated ? { truncated } : {}) }, line));
    capture(this.child.stderr, (line, truncated) => options.logger.error({ ...tags, stream: 'stderr', ...(truncated ? { truncated } : {}) }, line));
    if (this.pid !== undefined) {
      live.add(this);
      watchExit();
      void this.exited.then(() => {
        live.delete(this);
        clearTimeout(this.killTimer);
        // Whatever the leader left behind in its group goes with it.
        this.signal('SIGKILL');
      });
    }
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.status === undefined && this.pid !== undefined;
  }

  /** Sends `signal` to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is gone already, which is what we wanted.
    }
  }

  /**
   * SIGTERM to the group, then SIGKILL `grace` ms later if the leader is still there; with a
   * grace of 0 (also after an earlier, gentler stop), SIGKILL at once. Resolves on exit.
   */
  stop(grace = this.stopGrace): Promise<ExitStatus> {
    if (!this.running) return this.exited;
    if (grace <= 0) {
      this.signal('SIGKILL');
    } else if (!this.killTimer) {
      this.signal('SIGTERM');
      this.killTimer = setTimeout(() => this.signal('SIGKILL'), grace);
    }
    return this.exited;
  }

  /**
   * Whether the process keeps Node's event loop alive: on while it has work in flight, off when
   * idle, so that an idle pool never holds a finished program open (the exit hook kills it).
   */
  setRef(ref: boolean): void {
    const handles: Array<{ ref(): unknown; unref(): unknown } | null> = [this.child, this.child.stdout as Socket | null, this.child.stderr as Socket | null, ...this.channels];
    for (const handle of handles) {
      if (ref) handle?.ref();
      else handle?.unref();
    }
  }
}

/** Starts `options.command` in its own process group, logging its output line by line. */
export function spawnProcess(options: SpawnOptions): ManagedProcess {
  return new ManagedProcess(options);
}

function capture(stream: NodeJS.ReadableStream | null, emit: (line: string, truncated: boolean) => void): void {
  if (!stream) return;
  const lines = new LineSplitter(MAX_LINE_BYTES, emit);
  stream.on('data', (chunk: Buffer) => lines.push(chunk));
  stream.on('end', () => lines.end());
  // A read error on a dying child's pipe is not Node's problem.
  stream.on('error', () => {});
}

// Children are not killed with Node (nodejs/node#14556): every live process group is tracked
// and killed when Node exits, and on SIGINT/SIGTERM when nobody else handles them.
const live = new Set<ManagedProcess>();
let watching = false;

function watchExit(): void {
  if (watching) return;
  watching = true;
  process.on('exit', killAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function killAll(): void {
  for (const proc of live) proc.signal('SIGKILL');
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles the signal (a server shutting down gracefully): they close the
  // backends, and the exit hook catches anything left.
  if (process.listenerCount(signal) > 1) return;
  for (const proc of live) proc.signal('SIGTERM');
  // Without us Node would have died of the signal: do just that.
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  watching = false;
  process.kill(process.pid, signal);
}
