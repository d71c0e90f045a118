import { watch, type FSWatcher } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppYamlMiddleware } from '../index.js';

/** What happened to a reload: the new middleware serves, or the build failed and the old one still does. */
export type ReloadEvent = { kind: 'reloaded'; file: string; middleware: AppYamlMiddleware } | { kind: 'failed'; file: string; error: unknown };

/** Edits within this window are one reload (editors write a file in several steps). */
const RELOAD_DELAY_MS = 100;
/** A retired middleware whose requests have not finished by then is closed anyway. */
const RETIRE_GRACE_MS = 10_000;
/** The files whose edits need a new middleware: the config (app.yaml and its includes) and Python code. */
const RELOADS = /\.(ya?ml|py)$/;
/** Never followed: dot folders (.git, .venv) and Python's bytecode caches. */
const IGNORED = /(^|[/\\])(\.[^/\\]|__pycache__[/\\])/;

interface Generation {
  middleware: AppYamlMiddleware;
  inflight: number;
  retired: boolean;
  closed?: Promise<void>;
}

/**
 * The app `appyaml serve` answers with. In development mode it watches the app folder and, when
 * app.yaml, an included file or Python code changes, builds a new middleware: requests from then
 * on go to the new one, and the old one is closed (its backend processes stopped) once its own
 * requests have finished. A build that fails (a config error) leaves the old one serving. Static
 * files need no reload: the middleware's own file index follows them in development mode.
 */
export class ReloadingApp {
  private current: Generation;
  private readonly retired = new Set<Generation>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private changed = '';

  constructor(
    middleware: AppYamlMiddleware,
    private readonly build: () => AppYamlMiddleware,
    private readonly onReload: (event: ReloadEvent) => void,
  ) {
    this.current = { middleware, inflight: 0, retired: false };
  }

  /** The middleware new requests go to. */
  get middleware(): AppYamlMiddleware {
    return this.current.middleware;
  }

  /** Serves a request with the current middleware, keeping count so a retired one closes only when idle. */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const generation = this.current;
    generation.inflight++;
    res.once('close', () => {
      generation.inflight--;
      if (generation.retired && generation.inflight === 0) void this.closeGeneration(generation);
    });
    generation.middleware(req, res, next);
  };

  /** Starts following edits under `root`. */
  watch(root: string): void {
    this.watcher = watch(root, { recursive: true }, (_event, filename) => {
      const file = filename?.toString() ?? '';
      if (!RELOADS.test(file) || IGNORED.test(file)) return;
      this.changed = file;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(this.changed), RELOAD_DELAY_MS);
    });
  }

  /** Builds a new middleware and swaps it in, or reports why it could not. */
  reload(file: string): void {
    let middleware: AppYamlMiddleware;
    try {
      middleware = this.build();
    } catch (error) {
      this.onReload({ kind: 'failed', file, error });
      return;
    }
    const old = this.current;
    this.current = { middleware, inflight: 0, retired: false };
    old.retired = true;
    this.retired.add(old);
    if (old.inflight === 0) void this.closeGeneration(old);
    else setTimeout(() => void this.closeGeneration(old), RETIRE_GRACE_MS).unref();
    this.onReload({ kind: 'reloaded', file, middleware });
  }

  /** Stops watching and closes every middleware; resolves once their processes have exited. */
  async close(): Promise<void> {
    this.watcher?.close();
    clearTimeout(this.timer);
    await Promise.all([this.closeGeneration(this.current), ...[...this.retired].map((g) => this.closeGeneration(g))]);
  }

  private closeGeneration(generation: Generation): Promise<void> {
    generation.closed ??= generation.middleware.close().finally(() => this.retired.delete(generation));
    return generation.closed;
  }
}
