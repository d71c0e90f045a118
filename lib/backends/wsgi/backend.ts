import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { answerServerError } from '../../envelope/answers.js';
import { compileEnvironment, type AppEngineEnvironment } from '../../envelope/environment.js';
import { jsonLogger, requestLogger, silentLogger, type Logger } from '../../envelope/logger.js';
import type { Middleware } from '../../handlers/response.js';
import { RouteTable, type RouteMatch } from '../../router/route-table.js';
import { defaultPython, pythonEnvironment } from '../interpreter.js';
import type { Lease, StartPath } from '../pool-contract.js';
import { Pool } from '../pool.js';
import { serveGuarded } from '../guard.js';
import { answerUnavailable } from '../unavailable.js';
import { instanceConcurrency, scalingPolicy } from '../scaling.js';
import { BridgeInstance, bridgePath } from './bridge.js';
import { baseEnviron, requestEnviron } from './environ.js';
import { Exchange, type ExchangeSettings } from './exchange.js';
import type { WholeResponse } from './response.js';
import { Frame } from './frames.js';
import type { BackendOptions } from '../backend-options.js';
import type { ScriptBackend } from '../script-backend.js';

/** Options of `wsgi()` and `WsgiBackend`. */
export interface WsgiOptions extends BackendOptions {
  /**
   * Send responses as the app produces them instead of buffering them. Default false: App Engine
   * buffers dynamic responses, checks them whole, and never sends a partial one.
   */
  stream?: boolean;
  /** Largest response body in bytes; more gives 500 with an empty body (or a cut connection when streaming). Default 32 MiB. */
  maxResponseBytes?: number;
  /**
   * Milliseconds before the request deadline at which the app gets `DeadlineExceededError`, to
   * answer in; at most half the request's time. Default 1000.
   */
  deadlineGrace?: number;
  /**
   * Sends a whole (buffered) response instead of writing it to `res` as it is: `appYaml()` passes
   * its frontend's `sendScriptResponse`, which applies App Engine's dynamic response rules,
   * compression and caching. Not used with `stream`.
   */
  send?: (req: IncomingMessage, res: ServerResponse, response: WholeResponse) => void;
  /** Milliseconds an instance has to import the app and answer `/_ah/start` or `/_ah/warmup`. Default 30 000. */
  startTimeout?: number;
}

/** What `wsgi()` returns: the middleware, its backend, and `close()`. */
export interface WsgiMiddleware extends Middleware {
  readonly backend: WsgiBackend;
  /** Stops every instance; resolves once all are gone. */
  close(): Promise<void>;
}

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** The address App Engine's own requests (`/_ah/start`, `/_ah/warmup`) come from. */
const INTERNAL_ADDRESS = '0.1.0.3';
/** A Python dotted name (`main.app`, `pkg.mod.app`): what a `\1`-expanded script must still be. */
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Whether App Engine runs a `script:` as WSGI: anything but a CGI script (ending in `.py` or
 * holding a `/`) and `auto` (the entrypoint), as python27's runtime decided.
 */
export function isWsgiScript(script: string): boolean {
  return script !== 'auto' && !script.endsWith('.py') && !script.includes('/');
}

/**
 * A service's WSGI script handlers: a pool of bridge instances scaled as app.yaml says, and
 * `handle`, which serves one request on them. Instances start on demand (or at once for manual
 * scaling and `min_instances`), so constructing one costs nothing until traffic comes.
 */
export class WsgiBackend implements ScriptBackend {
  readonly pool: Pool<BridgeInstance>;
  private readonly table: RouteTable;
  private readonly settings: ExchangeSettings;
  private readonly startTimeout: number;
  private readonly logger: Logger;
  private readonly environment: AppEngineEnvironment;
  /** Buffered responses go to `send` whole; streamed ones are written to `res`. */
  readonly sendsWhole: boolean;

  constructor(options: WsgiOptions) {
    const { config } = options;
    this.logger = options.logger === false ? silentLogger : (options.logger ?? jsonLogger());
    this.table = new RouteTable(config.handlers);
    this.startTimeout = options.startTimeout ?? 30_000;
    const environment = (this.environment =
      options.environment ?? compileEnvironment(config, { ...options, warn: (message) => this.logger.warn({ service: config.service }, message) }));
    const python = options.python ?? defaultPython();
    const threads = instanceConcurrency(config);
    const preload = [...new Set(config.handlers.flatMap((h) => (h.type === 'script' && isWsgiScript(h.script) && !h.script.includes('\\') ? [h.script] : [])))];
    // Fails here, at load, rather than at the first request, if the package lost its bridge.
    bridgePath();
    const tags = { service: config.service };
    const stream = options.stream ?? false;
    this.sendsWhole = !stream && options.send !== undefined;
    this.settings = {
      stream,
      maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
      deadlineGrace: options.deadlineGrace ?? 1000,
      retire: (instance) => this.pool.retire(instance),
      send: stream ? undefined : options.send,
      answerError: options.answerError ?? answerServerError,
    };
    this.pool = new Pool<BridgeInstance>({
      create: () => {
        const env = environment.instance();
        return new BridgeInstance({
          id: env.GAE_INSTANCE!,
          python,
          root: config.root,
          preload,
          threads,
          multithread: threads > 1,
          environ: baseEnviron(config, env),
          env: { ...pythonEnvironment(config.root), ...env },
          logger: this.logger,
          tags,
          startTimeout: this.startTimeout,
        });
      },
      scaling: scalingPolicy(config, options),
      slots: threads,
      warmup: config.inbound_services.includes('warmup'),
      startRequest: (instance, path) => this.startRequest(instance, path),
      queueTimeout: options.queueTimeout,
      logger: this.logger,
      tags,
    });
  }

  /** Whether `route` is a WSGI script handler, which `handle` serves. */
  handles(route: RouteMatch | undefined): boolean {
    return route?.handler.type === 'script' && isWsgiScript(route.handler.script);
  }

  /**
   * Serves a request whose `req.appEngine.route` is a WSGI script handler (after the envelope's
   * `handOver`); calls `next()` for any other request. Never throws: problems are answered (500,
   * 502, 503) and logged.
   */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const route = req.appEngine?.route;
    if (!this.handles(route)) return next();
    serveGuarded(req, res, 'WSGI', this.settings.answerError, () => this.serve(req, res, route!.target));
  };

  /** Stops every instance; resolves once they are all gone. */
  close(): Promise<void> {
    return this.pool.close();
  }

  private serve(req: IncomingMessage, res: ServerResponse, target: string): void {
    if (!DOTTED.test(target)) {
      requestLogger(req).error({ script: target }, `script ${JSON.stringify(target)} is not a Python dotted name; answered 500`);
      return this.settings.answerError(req, res, 500);
    }
    const length = req.headers['content-length'];
    if (length !== undefined) return this.dispatch(req, res, target, Number(length), length === '0' ? undefined : req);
    if (req.headers['transfer-encoding'] === undefined) return this.dispatch(req, res, target, undefined, undefined);
    // A chunked body is read whole first, as App Engine's frontend does, so that the app gets a
    // CONTENT_LENGTH (the envelope caps the body at 32 MiB).
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.once('end', () => this.dispatch(req, res, target, size, size > 0 ? Readable.from(chunks) : undefined));
    // A body cut by the envelope (413, 408) was answered there.
    req.once('error', () => {});
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, script: string, contentLength: number | undefined, body: Readable | undefined): void {
    if (res.writableEnded) return;
    const environ = requestEnviron(req, this.environment, contentLength);
    const run = (lease: Lease<BridgeInstance>) => {
      if (res.writableEnded || res.destroyed) return lease.release();
      new Exchange(req, res, lease, this.settings, body).start(script, environ);
    };
    const free = this.pool.tryAcquire();
    if (free) return run(free);
    // No abort signal: a request whose client left while it waited just hands its slot on.
    this.pool.acquire().then(run, (err: unknown) => answerUnavailable(req, res, err, { backend: 'WSGI', startFailed: 500, answerError: this.settings.answerError }));
  }



  /** The `/_ah/start` or `/_ah/warmup` request, routed by app.yaml; 404 when no WSGI handler takes it. */
  private startRequest(instance: BridgeInstance, path: StartPath): Promise<number> {
    const route = this.table.match(path);
    if (!this.handles(route) || !DOTTED.test(route!.target)) return Promise.resolve(404);
    return new Promise((resolve, reject) => {
      let status = 500;
      const timer = setTimeout(() => {
        instance.close(id);
        reject(new Error(`${path} did not answer within ${this.startTimeout} ms`));
      }, this.startTimeout);
      const done = (result: number | Error) => {
        clearTimeout(timer);
        instance.close(id);
        if (typeof result === 'number') resolve(result);
        else reject(result);
      };
      const environ = [
        'REQUEST_METHOD', 'GET',
        'SCRIPT_NAME', '',
        'PATH_INFO', path,
        'QUERY_STRING', '',
        'REQUEST_URI', path,
        'SERVER_NAME', 'localhost',
        'SERVER_PORT', '80',
        'SERVER_PROTOCOL', 'HTTP/1.1',
        'REMOTE_ADDR', INTERNAL_ADDRESS,
        'wsgi.url_scheme', 'http',
      ];
      const id = instance.open(
        {
          onFrame: (type, payload) => {
            if (type === Frame.Start) status = Number(payload.toString('latin1', 0, 3));
            else if (type === Frame.Finished) done(status);
            else if (type === Frame.Failed) done(500);
            else if (type === Frame.Log) instance.logLine(payload);
          },
          onGone: () => done(new Error(`the instance exited during ${path}`)),
        },
        { script: route!.target, environ, body: false, window: 0 },
      );
    });
  }
}

/**
 * WSGI script handlers as a middleware: serves requests whose `req.appEngine.route` (set by
 * appyaml's routing, after `envelope()`) is a WSGI `script:` handler, and passes the rest to
 * `next()`. Call `close()` to stop its Python processes.
 */
export function wsgi(options: WsgiOptions): WsgiMiddleware {
  const backend = new WsgiBackend(options);
  return Object.assign((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => backend.handle(req, res, next), {
    backend,
    close: () => backend.close(),
  });
}
