import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { isAbsolute, dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { answerServerError } from '../../envelope/answers.js';
import { compileEnvironment, resolveProject } from '../../envelope/environment.js';
import { jsonLogger, silentLogger, type Logger } from '../../envelope/logger.js';
import { decodeRequestPath } from '../../envelope/request-path.js';
import type { Middleware } from '../../handlers/response.js';
import { RouteTable, type RouteMatch } from '../../router/route-table.js';
import { defaultPython, pythonEnvironment } from '../interpreter.js';
import type { Lease, StartPath } from '../pool-contract.js';
import { Pool } from '../pool.js';
import { inheritedEnvironment } from '../process.js';
import type { BackendOptions } from '../backend-options.js';
import type { ScriptBackend } from '../script-backend.js';
import { ReverseProxy } from '../proxy/proxy.js';
import { refuseUpgrade } from '../proxy/upgrade.js';
import { answerUnavailable } from '../unavailable.js';
import { entrypointCommand, entrypointConcurrency, entrypointScaling } from './command.js';
import { livenessPolicy, readinessPolicy } from './health.js';
import { EntrypointInstance } from './instance.js';
import { startMetadataServer, type MetadataServer } from './metadata-server.js';

/** Options of `entrypoint()` and `EntrypointBackend`. */
export interface EntrypointOptions extends BackendOptions {
  /**
   * The Python interpreter whose folder comes first on the entrypoint's `PATH`, so that
   * `gunicorn` and `python3` there are its (a virtualenv's, or Debian's). Default
   * `/usr/bin/python3` when it exists.
   */
  python?: string;
  /** Largest response body in bytes; a larger declared one is 502, a longer one cut. Default 32 MiB. */
  maxResponseBytes?: number;
  /**
   * Milliseconds an instance has to listen on `PORT` (and pass `readiness_check`) before it is
   * given up and restarted. Default: app.yaml's `readiness_check.app_start_timeout_sec`, else 30 000.
   */
  startTimeout?: number;
  /** Milliseconds between SIGTERM to an instance and SIGKILL to its process group. Default 5000. */
  stopGrace?: number;
  /**
   * Milliseconds a request may wait for the app when it has no deadline (`envelope()` sets one).
   * Default 60 minutes, flex's deadline.
   */
  timeout?: number;
  /**
   * Start an emulation of the Compute Engine metadata server for the app (`true`: on a free
   * loopback port, or that port), and point `GCE_METADATA_HOST` at it. Default off.
   */
  metadataServer?: boolean | number;
}

/** What `entrypoint()` returns: the middleware, its backend, the `upgrade` handler and `close()`. */
export interface EntrypointMiddleware extends Middleware {
  readonly backend: EntrypointBackend;
  /** Relays WebSocket upgrades: `server.on('upgrade', middleware.upgrade)`. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  close(): Promise<void>;
}

const DEFAULT_START_TIMEOUT = 30_000;
const DEFAULT_STOP_GRACE = 5000;

/**
 * An app's own HTTP server, run from its `entrypoint` (see `entrypointCommand`), behind appyaml's
 * reverse proxy: a pool of instances, each its own process group on its own loopback `PORT`,
 * scaled as app.yaml says; requests go to the least busy ready one. It takes `script: auto`
 * handlers and, as on App Engine's modern runtimes, every request no handler matched.
 */
export class EntrypointBackend implements ScriptBackend {
  /** The command instances run, or undefined when the app has no entrypoint (the backend then takes nothing). */
  readonly command: string | undefined;
  /** Undefined when the app has no entrypoint. */
  readonly pool: Pool<EntrypointInstance> | undefined;
  readonly proxy: ReverseProxy;
  /** The proxy streams to `res`: `appYaml()` captures the response for App Engine's rules. */
  readonly sendsWhole = false;
  private readonly table: RouteTable;
  private readonly logger: Logger;
  private readonly answerError: (req: IncomingMessage, res: ServerResponse, status: number) => void;
  private readonly metadata: Promise<MetadataServer> | undefined;

  constructor(options: EntrypointOptions) {
    const { config } = options;
    this.command = entrypointCommand(config);
    this.table = new RouteTable(config.handlers);
    this.logger = options.logger === false ? silentLogger : (options.logger ?? jsonLogger());
    this.answerError = options.answerError ?? answerServerError;
    this.proxy = new ReverseProxy({ maxResponseBytes: options.maxResponseBytes, timeout: options.timeout, answerError: this.answerError });
    const command = this.command;
    if (command === undefined) return;
    const tags = { service: config.service };
    const environment =
      options.environment ?? compileEnvironment(config, { ...options, warn: (message) => this.logger.warn(tags, message) });
    if (options.metadataServer) {
      const port = options.metadataServer === true ? 0 : options.metadataServer;
      this.metadata = startMetadataServer({ projectId: resolveProject(config, options) }, port);
      this.metadata.catch((err: unknown) => this.logger.error({ ...tags, err }, 'the metadata server could not start'));
    }
    const python = options.python ?? defaultPython();
    const path = isAbsolute(python) ? `${dirname(python)}:${inheritedEnvironment().PATH ?? ''}` : undefined;
    const base = { ...pythonEnvironment(config.root), PYTHONUNBUFFERED: '1', ...(path ? { PATH: path } : {}) };
    const readiness = readinessPolicy(config);
    const liveness = livenessPolicy(config);
    const startTimeout = options.startTimeout ?? (config.readiness_check?.app_start_timeout_sec ?? DEFAULT_START_TIMEOUT / 1000) * 1000;
    this.pool = new Pool<EntrypointInstance>({
      create: () => {
        const vars = environment.instance();
        const id = vars.GAE_INSTANCE!;
        return new EntrypointInstance({
          id,
          command,
          root: config.root,
          env: async (port) => {
            const metadata = this.metadata && (await this.metadata);
            const gce: Record<string, string> = metadata ? { GCE_METADATA_HOST: metadata.host, GCE_METADATA_IP: metadata.host } : {};
            return { ...base, ...environment.instance({ instanceId: id, port }), ...gce };
          },
          logger: this.logger,
          tags: { ...tags, instance: id },
          startTimeout,
          stopGrace: options.stopGrace ?? DEFAULT_STOP_GRACE,
          readiness,
          liveness,
          onUnhealthy: (instance) => this.pool!.retire(instance),
        });
      },
      scaling: entrypointScaling(config, options),
      slots: entrypointConcurrency(config),
      warmup: config.inbound_services.includes('warmup'),
      // Flex sends no /_ah/start; second-generation manual and basic scaling do, routed by app.yaml.
      startRequest: config.environment === 'flex' ? undefined : (instance, path) => this.startRequest(instance, path),
      queueTimeout: options.queueTimeout,
      logger: this.logger,
      tags,
    });
  }

  /** `script: auto` handlers, and (no handler matched) the implicit catch-all, when the app has an entrypoint. */
  handles(route: RouteMatch | undefined): boolean {
    if (this.pool === undefined) return false;
    return route === undefined || (route.handler.type === 'script' && route.handler.script === 'auto');
  }

  /**
   * Proxies a request whose `req.appEngine.route` this backend takes (any request, when used
   * alone without routing) to an instance; calls `next()` for any other. Never throws.
   */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!this.handles(req.appEngine?.route)) return next();
    this.dispatch(req, res, false);
  };

  /**
   * Relays an HTTP upgrade (WebSocket) from the server's `upgrade` event to an instance, for a
   * path this backend serves; anything else is refused with 404 and closed. Attach it with
   * `server.on('upgrade', backend.upgrade)`: Express middleware never sees upgrades.
   */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const decoded = decodeRequestPath(req.url ?? '/');
    const route = decoded.kind === 'ok' ? this.table.match(decoded.path) : undefined;
    if (decoded.kind !== 'ok' || !this.handles(route)) {
      return refuseUpgrade(socket, 404);
    }
    const pool = this.pool!;
    const run = (lease: Lease<EntrypointInstance>) => {
      if (socket.destroyed) return lease.release();
      // A tunnel may live for hours: it does not hold the instance's slot.
      this.proxy.upgrade(req, socket, head, lease.instance.port, () => lease.release());
    };
    const free = pool.tryAcquire();
    if (free) return run(free);
    pool.acquire().then(run, () => refuseUpgrade(socket, 503));
  };

  /** Stops every instance and the metadata server; resolves once all are gone. */
  async close(): Promise<void> {
    await this.pool?.close();
    this.proxy.close();
    const metadata = await this.metadata?.catch(() => undefined);
    await metadata?.close();
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, retried: boolean): void {
    const pool = this.pool!;
    const run = (lease: Lease<EntrypointInstance>) => {
      if (res.writableEnded || res.destroyed) return lease.release();
      const instance = lease.instance;
      this.proxy.web(req, res, instance.port, {
        end: (outcome) => {
          // Nothing listens where the instance should: it is dying, and is replaced.
          if (outcome === 'refused') pool.retire(instance);
          lease.release();
        },
        retry: retried
          ? undefined
          : () => {
              pool.retire(instance);
              lease.release();
              this.dispatch(req, res, true);
              return true;
            },
      });
    };
    const free = pool.tryAcquire();
    if (free) return run(free);
    pool.acquire().then(run, (err: unknown) => answerUnavailable(req, res, err, { backend: 'entrypoint', startFailed: 503, answerError: this.answerError }));
  }

  /** The `/_ah/start` or `/_ah/warmup` request, when app.yaml routes it to the entrypoint (else 404). */
  private startRequest(instance: EntrypointInstance, path: StartPath): Promise<number> {
    if (!this.handles(this.table.match(path))) return Promise.resolve(404);
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: instance.port, path, agent: false, headers: { 'X-AppEngine-User-IP': '0.1.0.3' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 500);
      });
      req.once('error', reject);
    });
  }
}

/**
 * The app's `entrypoint` behind appyaml's reverse proxy, as a middleware: requests it takes
 * (`script: auto` routes and unmatched ones after appyaml's routing; every request when used
 * alone) go to the app's server; attach `upgrade` to the HTTP server for WebSockets, and call
 * `close()` to stop the app's processes.
 */
export function entrypoint(options: EntrypointOptions): EntrypointMiddleware {
  const backend = new EntrypointBackend(options);
  return Object.assign((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => backend.handle(req, res, next), {
    backend,
    upgrade: backend.upgrade,
    close: () => backend.close(),
  });
}
