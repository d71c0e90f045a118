import { realpathSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { answerServerError } from '../../envelope/answers.js';
import { compileEnvironment, type AppEngineEnvironment } from '../../envelope/environment.js';
import { jsonLogger, requestLogger, silentLogger, type Logger } from '../../envelope/logger.js';
import { decodeRequestPath } from '../../envelope/request-path.js';
import type { Middleware } from '../../handlers/response.js';
import { RouteTable, type RouteMatch } from '../../router/route-table.js';
import { defaultPython, pythonEnvironment } from '../interpreter.js';
import type { Lease } from '../pool-contract.js';
import { Pool } from '../pool.js';
import { serveGuarded } from '../guard.js';
import { answerUnavailable } from '../unavailable.js';
import { scalingPolicy } from '../scaling.js';
import type { BackendOptions } from '../backend-options.js';
import type { ScriptBackend } from '../script-backend.js';
import { BridgeInstance, bridgePath } from '../wsgi/bridge.js';
import { isWsgiScript } from '../wsgi/backend.js';
import type { WholeResponse } from '../wsgi/response.js';
import { CachedScript } from './cached.js';
import type { CgiSettings } from './exchange.js';
import { environmentSize, environmentText, metaVariables } from './meta-variables.js';
import { findScript, type ScriptFile } from './script-file.js';
import { SpawnedScript } from './spawned.js';

/**
 * How `.py` CGI scripts run: `cached` (App Engine's python27 behaviour) in persistent workers that
 * cache a script's `main()`, or `spawn`, a process per request. Other CGI scripts always spawn.
 */
export type CgiMode = 'cached' | 'spawn';

/** Options of `cgi()` and `CgiBackend`. */
export interface CgiOptions extends BackendOptions {
  /** `cached` (default): App Engine's app caching; `spawn`: a process per request, for scripts that must be isolated. */
  cgiMode?: CgiMode;
  /** Largest response body in bytes; more stops the script and answers 500 with an empty body. Default 32 MiB. */
  maxResponseBytes?: number;
  /** Milliseconds before the deadline at which a cached script gets `DeadlineExceededError`. Default 1000. */
  deadlineGrace?: number;
  /** Sends a whole response; `appYaml()` passes its frontend's `sendScriptResponse`. Default: written to `res`. */
  send?: (req: IncomingMessage, res: ServerResponse, response: WholeResponse) => void;
  /**
   * Serves a local redirect (`Location: /path` without `Status`, RFC 3875 §6.2.2). `req` has
   * already been turned into the new request: a GET of `location` without a body (`req.method`,
   * `req.url`, `req.appEngine.path` and `.query` set, `.route` cleared). Default: served here
   * when the path's handler is a CGI script with no `login` or `secure: always`; anything else
   * is a 302 to the client, which comes back through the whole pipeline.
   */
  redispatch?: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, location: string) => void;
}

/** What `cgi()` returns: the middleware, its backend, and `close()`. */
export interface CgiMiddleware extends Middleware {
  readonly backend: CgiBackend;
  /** Stops every worker and running script; resolves once all are gone. */
  close(): Promise<void>;
}

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** The request's meta-variables at most (backends.md §1.6: far below the kernel's limits); more is 431. */
const MAX_META_VARIABLES = 64 * 1024;
/** Local redirects one request may follow before 502. */
const MAX_LOCAL_REDIRECTS = 10;
const localRedirects = new WeakMap<IncomingMessage, number>();

/** Whether App Engine runs a `script:` as CGI: one ending in `.py` or holding a `/`, as python27 decided. */
export function isCgiScript(script: string): boolean {
  return script !== 'auto' && !isWsgiScript(script);
}

/**
 * A service's CGI script handlers (RFC 3875). `.py` scripts run in cached workers by default, as
 * App Engine's python27 ran them; any script may run in a process of its own per request.
 */
export class CgiBackend implements ScriptBackend {
  readonly sendsWhole: boolean;
  private pool: Pool<BridgeInstance> | undefined;
  private readonly root: string;
  private readonly table: RouteTable;
  private readonly logger: Logger;
  private readonly environment: AppEngineEnvironment;
  private readonly mode: CgiMode;
  private readonly python: string;
  /** What every spawned script's environment starts from (one instance id for them all). */
  private readonly spawnEnv: Record<string, string>;
  private readonly settings: Omit<CgiSettings, 'redirect'>;
  private readonly running = new Set<SpawnedScript>();
  private closed = false;

  constructor(private readonly options: CgiOptions) {
    const { config } = options;
    this.logger = options.logger === false ? silentLogger : (options.logger ?? jsonLogger());
    this.root = realRoot(config.root);
    this.table = new RouteTable(config.handlers);
    this.environment =
      options.environment ?? compileEnvironment(config, { ...options, warn: (message) => this.logger.warn({ service: config.service }, message) });
    this.mode = options.cgiMode ?? 'cached';
    this.python = options.python ?? defaultPython();
    this.spawnEnv = { SERVER_SOFTWARE: 'appyaml', ...pythonEnvironment(config.root), ...this.environment.instance() };
    this.sendsWhole = options.send !== undefined;
    this.settings = {
      maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
      send: options.send,
      answerError: options.answerError ?? answerServerError,
    };
  }

  /** Whether `route` is a CGI script handler, which `handle` serves. */
  handles(route: RouteMatch | undefined): boolean {
    return route?.handler.type === 'script' && isCgiScript(route.handler.script);
  }

  /**
   * Serves a request whose `req.appEngine.route` is a CGI script handler (after the envelope's
   * `handOver`); calls `next()` for any other request. Never throws: problems are answered and logged.
   */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const route = req.appEngine?.route;
    if (!this.handles(route)) return next();
    serveGuarded(req, res, 'CGI', this.settings.answerError, () => this.serve(req, res, next, route!.target));
  };

  /** Stops the cached workers and the scripts running in processes of their own; resolves once all are gone. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.pool?.close(), ...[...this.running].map((script) => script.stop())]);
  }

  private serve(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, target: string): void {
    const file = findScript(this.root, target);
    if ('status' in file) {
      requestLogger(req).error({ script: target }, `CGI ${file.message}; answered ${file.status}`);
      return this.settings.answerError(req, res, file.status);
    }
    const length = req.headers['content-length'];
    if (length !== undefined) return this.dispatch(req, res, next, file, Number(length), length === '0' ? undefined : req);
    if (req.headers['transfer-encoding'] === undefined) return this.dispatch(req, res, next, file, undefined, undefined);
    // A chunked body is read whole first, as App Engine's frontend does, so that the script gets
    // a CONTENT_LENGTH (RFC 3875 §4.1.2; the envelope caps the body at 32 MiB).
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.once('end', () => this.dispatch(req, res, next, file, size, size > 0 ? Readable.from(chunks) : undefined));
    // A body cut by the envelope (413, 408) was answered there.
    req.once('error', () => {});
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, file: ScriptFile, contentLength: number | undefined, body: Readable | undefined): void {
    if (res.writableEnded) return;
    if (this.closed) {
      requestLogger(req).warn({}, 'the backend is shutting down; answered 503');
      return this.settings.answerError(req, res, 503);
    }
    const meta = metaVariables(req, this.environment, file.path, contentLength);
    if (environmentSize(meta) > MAX_META_VARIABLES) {
      requestLogger(req).warn({ script: file.path }, `CGI meta-variables over ${MAX_META_VARIABLES} bytes; answered 431`);
      return this.settings.answerError(req, res, 431);
    }
    const settings: CgiSettings = { ...this.settings, redirect: (rq, rs, location) => this.localRedirect(rq, rs, next, location) };
    if (!file.python || this.mode === 'spawn') {
      const env = { ...this.spawnEnv, ...environmentText(meta) };
      return new SpawnedScript(req, res, { ...settings, python: this.python, env, tags: { service: this.options.config.service, script: file.path }, running: this.running }, file, body).start();
    }
    const environ = Object.entries(meta).flat();
    const run = (lease: Lease<BridgeInstance>) => {
      if (res.writableEnded || res.destroyed) return lease.release();
      new CachedScript(req, res, { ...settings, deadlineGrace: this.options.deadlineGrace ?? 1000, retire: (i) => this.workers().retire(i) }, lease, file.path, body).start(environ);
    };
    const pool = this.workers();
    const free = pool.tryAcquire();
    if (free) return run(free);
    pool.acquire().then(run, (err: unknown) => answerUnavailable(req, res, err, { backend: 'CGI', startFailed: 500, answerError: this.settings.answerError }));
  }

  /** The cached workers, started on first use: an app whose CGI scripts never run starts none. */
  private workers(): Pool<BridgeInstance> {
    if (this.pool) return this.pool;
    const { config } = this.options;
    // Fails here rather than in a worker if the package lost its bridge.
    bridgePath();
    const tags = { service: config.service, cgi: true };
    const pool = (this.pool = new Pool<BridgeInstance>({
      create: () => {
        const env = this.environment.instance();
        return new BridgeInstance({
          id: env.GAE_INSTANCE!,
          python: this.python,
          root: config.root,
          preload: [],
          // One script at a time: each owns os.environ, sys.stdin and sys.stdout while it runs.
          threads: 1,
          multithread: false,
          environ: {},
          env: { SERVER_SOFTWARE: 'appyaml', ...pythonEnvironment(config.root), ...env },
          logger: this.logger,
          tags,
          startTimeout: this.options.startTimeout ?? 30_000,
          mode: 'cgi',
        });
      },
      scaling: scalingPolicy(config, this.options),
      slots: 1,
      queueTimeout: this.options.queueTimeout,
      logger: this.logger,
      tags,
    }));
    if (this.closed) void pool.close();
    return pool;
  }



  /** A local redirect: `req` becomes a GET of `location`, served by `redispatch` or here. */
  private localRedirect(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, location: string): void {
    const count = (localRedirects.get(req) ?? 0) + 1;
    localRedirects.set(req, count);
    if (count > MAX_LOCAL_REDIRECTS) {
      requestLogger(req).error({ location }, `More than ${MAX_LOCAL_REDIRECTS} CGI local redirects; answered 502`);
      return this.settings.answerError(req, res, 502);
    }
    const target = decodeRequestPath(location);
    if (target.kind !== 'ok' || !req.appEngine) return this.clientRedirect(req, res, location);
    req.method = 'GET';
    req.url = location;
    for (const name of ['content-length', 'content-type', 'transfer-encoding']) delete req.headers[name];
    const facts = req.appEngine;
    facts.path = target.path;
    facts.query = target.query;
    delete facts.route;
    if (this.options.redispatch) return this.options.redispatch(req, res, next, location);
    const route = this.table.match(target.path);
    const handler = route?.handler;
    if (!route || !this.handles(route) || handler!.login !== 'optional' || handler!.secure === 'always') return this.clientRedirect(req, res, location);
    facts.route = route;
    this.serve(req, res, next, route.target);
  }

  /** A local redirect this backend cannot follow: the client follows it (302). */
  private clientRedirect(req: IncomingMessage, res: ServerResponse, location: string): void {
    const response: WholeResponse = { status: 302, headers: [['Location', location]], body: Buffer.alloc(0) };
    if (this.settings.send) return this.settings.send(req, res, response);
    res.writeHead(302, ['Location', location, 'Content-Length', '0']);
    res.end();
  }
}

/** The app folder with symbolic links resolved, which scripts are held to; as given if it does not exist (every script is then a 404). */
function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return resolve(root);
  }
}

/**
 * CGI script handlers as a middleware: serves requests whose `req.appEngine.route` (set by
 * appyaml's routing, after `envelope()`) is a CGI `script:` handler, and passes the rest to
 * `next()`. Call `close()` to stop its workers.
 */
export function cgi(options: CgiOptions): CgiMiddleware {
  const backend = new CgiBackend(options);
  return Object.assign((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => backend.handle(req, res, next), {
    backend,
    close: () => backend.close(),
  });
}
