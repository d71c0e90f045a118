import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { spawnProcess, type ExitStatus, type ManagedProcess } from '../process.js';
import { CgiExchange, type CgiSettings } from './exchange.js';
import type { ScriptFile } from './script-file.js';

/** How long before the request's deadline a script that has not answered is stopped with 504. */
const DEADLINE_LEAD_MS = 100;

/** What one spawned run needs besides the request. */
export interface SpawnSettings extends CgiSettings {
  python: string;
  /** The process environment: the instance's variables and the request's meta-variables, as text. */
  env: Record<string, string>;
  /** Fields on the script's stderr lines. */
  tags: Record<string, unknown>;
  /** The backend's running scripts, which `close()` stops: each is in it from start to end. */
  running: Set<SpawnedScript>;
}

/**
 * A CGI script in a process of its own (RFC 3875): no shell, its own process group, the body on
 * stdin, stdout parsed strictly, stderr to the log with the request's ids. The run is over when
 * the process has exited and stdout has ended; the group is killed when the leader exits, so a
 * grandchild cannot hold stdout open. A deadline or a client that leaves stops the whole group:
 * SIGTERM, then SIGKILL 2 s later.
 */
export class SpawnedScript extends CgiExchange {
  private proc: ManagedProcess | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    private readonly spawnSettings: SpawnSettings,
    private readonly file: ScriptFile,
    /** The request body: `req` itself, or what was read of a chunked one. */
    private readonly body: Readable | undefined,
  ) {
    super(req, res, spawnSettings, file.path);
  }

  start(): void {
    const { file, spawnSettings: s } = this;
    // argv is never taken from the query (RFC 3875 §4.4; CVE-2012-1823).
    const proc = (this.proc = spawnProcess({
      command: file.python ? s.python : file.path,
      args: file.python ? [file.path] : [],
      cwd: file.dir,
      env: s.env,
      ownStdio: true,
      logger: this.logger(),
      tags: s.tags,
    }));
    const { stdin, stdout } = proc.child;
    this.watch();
    // EPIPE: a script may ignore the body and exit.
    stdin!.on('error', () => {});
    const body = this.body;
    if (body && !body.readableEnded) body.pipe(stdin!);
    else stdin!.end();
    const ended = new Promise<void>((resolve) => {
      stdout!.on('data', (chunk: Buffer) => this.onOutput(chunk));
      stdout!.once('close', resolve);
      stdout!.on('error', () => {});
    });
    void Promise.all([proc.exited, ended]).then(([status]) => this.onDone(status));
    const deadline = this.req.appEngine?.deadline;
    if (deadline !== undefined) {
      // A little before the envelope's own deadline answer (500), so that a script that never
      // answers is the gateway timeout it is (security.md row 80), whichever timer Node runs first.
      const left = Math.max(0, deadline - Date.now());
      this.timer = setTimeout(this.onDeadline, left - Math.min(DEADLINE_LEAD_MS, left / 2));
    }
    s.running.add(this);
  }

  /** Stops the script's group (the backend is closing); resolves once the leader has exited. */
  stop(): Promise<unknown> {
    return this.proc?.stop() ?? Promise.resolve();
  }

  protected abandon(): void {
    void this.proc?.stop();
  }

  private onDone(status: ExitStatus): void {
    this.spawnSettings.running.delete(this);
    clearTimeout(this.timer);
    this.unwatch();
    const body = this.body;
    if (body && !body.readableEnded) {
      // Unread body bytes would stall the connection's next request; let Node discard them.
      body.unpipe();
      body.resume();
    }
    if (this.answered) return;
    if (status.error) {
      this.logger().error({ script: this.script, err: status.error }, `Could not run the CGI script: ${status.error.message}; answered 502`);
      return this.fail(502);
    }
    const problem = status.signal ? `was killed by ${status.signal}` : status.code !== 0 ? `exited with code ${status.code}` : undefined;
    this.complete(problem);
  }

  /** The script has not answered by (just before) the request's deadline: stopped, 504. */
  private readonly onDeadline = (): void => {
    if (this.answered) return;
    this.logger().error({ script: this.script }, 'The CGI script did not answer by the deadline; stopped, answered 504');
    this.abandon();
    this.fail(504);
  };
}
