import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadAppYaml, type AppYamlSource } from '../../config/load.js';
import type { AppConfig } from '../../config/types.js';
import { decodeRequestPath, DEFAULT_MAX_PATH_LENGTH } from '../../envelope/request-path.js';
import { answerRequestPath, requestTarget } from '../../envelope/request-target.js';
import { RouteTable } from '../../router/route-table.js';
import { StaticContentHandler, type StaticServingOptions } from './handler.js';
import type { Middleware } from '../../middleware.js';

export type { StaticServingOptions } from './handler.js';

/** The app folder, reading its app.yaml (or `file`), or with the config given as `config`. */
export type AppFolder = Exclude<AppYamlSource, string>;

/** A config already loaded, for hosts that compose the parts themselves. */
export interface LoadedApp {
  /** The result of `loadAppYaml()`; its `root` is the app folder. */
  app: AppConfig;
}

/** Limits on the request path, applied before any handler regex runs. */
export interface RequestPathOptions {
  /** Longest raw request path accepted, in bytes; longer paths get 414 (default 8192). */
  maxPathLength?: number;
}

/** Options of `staticFiles()`: where the app is, and how to serve its static handlers. */
export type StaticFilesOptions = (AppFolder | LoadedApp) & StaticServingOptions & RequestPathOptions;

/** A connect/Express middleware holding resources that `close()` releases. */
export interface StaticFilesMiddleware extends Middleware {
  /** Stops watching files (development mode); the middleware keeps serving its last index. */
  close(): void;
}

/**
 * The static handlers of an app.yaml (`static_files`, `static_dir`) as a middleware of their
 * own, for hosts that route scripts themselves. Handlers are tried in file order, as App Engine
 * does; a request whose first matching handler is a script handler, or that no handler
 * matches, goes to `next()`. The request path is decoded and checked as `appYaml()` does
 * (400, 414, 302 for `.`/`..` segments). Throws `ConfigError` for an invalid app.yaml.
 */
export function staticFiles(options: StaticFilesOptions): StaticFilesMiddleware {
  const app = 'app' in options ? options.app : loadAppYaml(options);
  const table = new RouteTable(app.handlers);
  const statics = new StaticContentHandler(app, options);
  const maxPathLength = options.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    try {
      const decoded = decodeRequestPath(requestTarget(req), maxPathLength);
      if (decoded.kind !== 'ok') return answerRequestPath(res, decoded);
      for (let route = table.match(decoded.path); route; route = table.match(decoded.path, route.handler.index + 1)) {
        if (route.handler.type === 'script') break;
        if (statics.serve(route.handler, route.target, req, res)) return;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
  return Object.assign(middleware, { close: () => statics.close() });
}
