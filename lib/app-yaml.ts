import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { loadAppYaml } from './config/load.js';
import type { AppConfig } from './config/types.js';
import { compileEnvelope, type EnvelopeOptions } from './envelope/index.js';
import { compileFrontend, type FrontendOptions } from './envelope/frontend.js';
import { compileEnvironment } from './envelope/environment.js';
import type { ScriptBackend } from './backends/script-backend.js';
import { WsgiBackend, type WsgiOptions } from './backends/wsgi/backend.js';
import { CgiBackend, type CgiOptions } from './backends/cgi/backend.js';
import { EntrypointBackend, type EntrypointOptions } from './backends/entrypoint/backend.js';
import { hsts, type HstsOptions } from './handlers/hsts.js';
import { assertLoginSupported, assertLoginUrl, checkLogin, devLoginPages, needsUser, type UserSource } from './handlers/login/index.js';
import { writeResponse, type Middleware } from './handlers/response.js';
import { secureResponse, type SecureOptions } from './handlers/secure.js';
import { StaticContentHandler, type StaticServingOptions } from './handlers/static/handler.js';
import type { AppFolder } from './handlers/static/index.js';
import { RouteTable, type RouteMatch } from './router/route-table.js';

/** Options of `appYaml()`: where the app is, and how App Engine's frontend is emulated. */
export type AppYamlOptions = AppFolder &
  StaticServingOptions &
  SecureOptions &
  FrontendOptions &
  Pick<WsgiOptions, 'python' | 'deadlineGrace' | 'queueTimeout' | 'startTimeout' | 'idleTimeout' | 'maxInstances'> &
  Pick<CgiOptions, 'cgiMode'> &
  Pick<EntrypointOptions, 'metadataServer' | 'stopGrace'> &
  Omit<EnvelopeOptions, 'config' | 'mode'> & {
    /**
     * Who is signed in, for `login:` handlers and for the `X-AppEngine-User-*` headers scripts
     * receive: `(req) => ({ email, userId, nickname, isAdmin }) | null`, sync or async. Default:
     * in development mode, App Engine's local `/_ah/login` page and its cookie; in production
     * mode none, and a `login: required|admin` handler is then a load error.
     */
    users?: UserSource;
    /** Where `login:` sends signed-out visitors (`continue=` is appended). Default `/_ah/login`. */
    loginUrl?: string;
    /**
     * Add `Strict-Transport-Security` to https responses (`true` for one year). Off by default, as
     * on App Engine; a static handler's own header in `http_headers` wins.
     */
    hsts?: boolean | HstsOptions;
  };

/** The middleware `appYaml()` returns: connect/Express-compatible, with its config and `close()`. */
export interface AppYamlMiddleware extends Middleware {
  /** The validated app.yaml it serves. */
  readonly config: AppConfig;
  /** Drops the frontend cache's entry for `url` (a full URL), or every entry; returns how many went. */
  purge(url?: string): number;
  /** Stops the app's backend instances and the file watcher; resolves once every child has exited. */
  close(): Promise<void>;
  /**
   * Relays WebSocket (and other `Upgrade`) requests to the app's entrypoint, for paths it
   * serves; anything else is refused (404) and closed. Express middleware never sees upgrades:
   * attach it with `server.on('upgrade', middleware.upgrade)`.
   */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/**
 * Serves an app the way App Engine does, from its app.yaml. Construction is synchronous: the
 * config is loaded and validated (throws `ConfigError` listing every problem), the route table
 * compiled and the static files indexed, so there is no `ready` to wait for.
 *
 * Per request, in App Engine's order: the envelope admits it (ids, trusted scheme, path decoded
 * once: 400/414, 302 for `.`/`..` segments, 413 for a declared oversized body); the handlers are
 * tried in file order, first match wins; the matched handler's `secure` is checked, then its
 * `login`; a static handler answers (or, with `require_matching_file` and no file, lets matching
 * go on). WSGI script handlers (`script: main.app` on python27) run in pools of Python bridge processes;
 * other script handlers, and requests no handler matches, are handed over — App Engine's
 * headers set, body metered, deadline running — to `next()`; a script's response then goes
 * through App Engine's dynamic response rules, compression and the optional frontend cache, while
 * the host app's own routes (no handler matched) are left as they answer.
 */
export function appYaml(options: AppYamlOptions): AppYamlMiddleware {
  const config = loadAppYaml(options);
  const mode = options.mode ?? 'production';
  const users = assertLoginSupported(config, { mode, users: options.users });
  assertLoginUrl(options.loginUrl);
  const table = new RouteTable(config.handlers);
  const frontend = compileFrontend(config, options);
  const statics = new StaticContentHandler(config, options, frontend.staticVaries);
  const envelope = compileEnvelope({ ...options, config, mode, onDeadline: options.onDeadline ?? frontend.onDeadline });
  const addHsts = options.hsts ? hsts(options.hsts === true ? {} : options.hsts) : undefined;
  const devPages = mode === 'development' && !options.users ? devLoginPages(options) : undefined;
  // What every backend shares: one set of App Engine variables, the frontend's response rules.
  const backendOptions = {
    ...options,
    config,
    mode,
    environment: compileEnvironment(config, { ...options, mode }),
    stream: options.streamResponses ?? false,
    maxResponseBytes: options.responseLimit,
    send: frontend.sendScriptResponse,
    answerError: frontend.answerError,
    // A CGI local redirect goes through the whole handler list again, as a GET of the new path.
    redispatch: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => dispatch(req, res, next, 0),
  };
  const entrypointBackend = new EntrypointBackend(backendOptions);
  const backends: ScriptBackend[] = [new WsgiBackend(backendOptions), new CgiBackend(backendOptions), entrypointBackend];
  const hostOptions: SecureOptions = { allowedHosts: options.allowedHosts, httpsPort: options.httpsPort, httpPort: options.httpPort };
  const loginOptions = { allowedHosts: options.allowedHosts, loginUrl: options.loginUrl };

  function dispatch(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, from: number): void {
    const facts = req.appEngine!;
    for (let route = table.match(facts.path, from); route; route = table.match(facts.path, route.handler.index + 1)) {
      const handler = route.handler;
      // Kept after a declining handler too: the last handler tried is what next() learns about.
      facts.route = route;
      const redirect = secureResponse(handler, req, hostOptions);
      if (redirect) return writeResponse(res, redirect);
      if (users && needsUser(handler)) {
        checkLogin(handler, req, users, loginOptions).then((denied) => {
          // A deadline may have answered while the user source was working.
          if (res.headersSent) return;
          if (denied) return writeResponse(res, denied);
          if (!serve(req, res, next, route!)) dispatch(req, res, next, handler.index + 1);
        }, next);
        return;
      }
      if (serve(req, res, next, route)) return;
    }
    // No handler matched: the entrypoint's implicit catch-all (modern runtimes, flex), else the host app.
    runScript(req, res, next, undefined);
  }

  /** Hands a request over to the backend that takes `route` (a script handler, or none matched), else to `next()`. */
  function runScript(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, route: RouteMatch | undefined): void {
    envelope.handOver(req, res);
    const backend = backends.find((b) => b.handles(route));
    if (!backend) {
      // A script handler no backend takes is the host app's; its response is still the app's.
      if (route) frontend.captureScript(req, res);
      return next();
    }
    // A backend that sends whole responses reaches the frontend itself; anything else is captured.
    if (!backend.sendsWhole) frontend.captureScript(req, res);
    backend.handle(req, res, next);
  }

  /**
   * Answers with the matched handler, after `secure` and `login` let the request through: from
   * the frontend cache, from a static file (compressed and cached on the way out), or by handing
   * a script's request over with its response taken in hand by the frontend's rules. False when a
   * static handler declines.
   */
  function serve(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, route: RouteMatch): boolean {
    if (frontend.serveCached(req, res)) return true;
    const handler = route.handler;
    if (handler.type === 'script') {
      runScript(req, res, next, route);
      return true;
    }
    return frontend.serveStatic(req, res, () => statics.serve(handler, route.target, req, res));
  }

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    try {
      if (!envelope.admit(req, res)) return;
      addHsts?.(req, res, noop);
      if (devPages) devPages(req, res, () => dispatch(req, res, next, 0));
      else dispatch(req, res, next, 0);
    } catch (err) {
      next(err);
    }
  };
  const close = (): Promise<void> => {
    statics.close();
    frontend.close();
    return Promise.all(backends.map((b) => b.close())).then(noop);
  };
  return Object.assign(middleware, { config, purge: frontend.purge, close, upgrade: entrypointBackend.upgrade });
}

function noop(): void {}
