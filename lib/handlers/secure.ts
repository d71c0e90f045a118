import type { IncomingMessage } from 'node:http';
import type { HandlerConfig } from '../config/types.js';
import { assertAllowedHosts, checkHost, type HostOptions } from '../envelope/host.js';
import { redirectTarget, requestScheme } from './location.js';
import { textResponse, writeResponse, type Middleware, type ResponseDescription } from './response.js';

/** Options of the `secure` part. */
export interface SecureOptions extends HostOptions {
  /**
   * Port written into `https://` Locations, for local development where https is not on 443
   * (App Engine never writes one). Default: none.
   */
  httpsPort?: number;
  /** Port written into `http://` Locations (`secure: never`), likewise. Default: none. */
  httpPort?: number;
}

/** The handler keys the rule reads. */
export type SecureHandler = Pick<HandlerConfig, 'secure' | 'redirect_http_response_code'>;

const DEFAULT_PORTS = { http: 80, https: 443 } as const;

/**
 * App Engine's `secure` rule (app-engine.md §2.6) for one request, without side effects:
 * `always` over http redirects to `https://` with the query kept, `never` over https redirects
 * to `http://` with the query dropped, with `redirect_http_response_code` as status; anything
 * else needs nothing (undefined). The Location is the validated Host without its port (unless
 * `httpsPort`/`httpPort` say otherwise) and the request's own path, encoded; a Host that cannot
 * be used gives 400. Every method is redirected alike: a 307 keeps a POST a POST, a 302 lets
 * browsers turn it into a GET, as on App Engine.
 */
export function secureResponse(handler: SecureHandler, req: IncomingMessage, options: SecureOptions = {}): ResponseDescription | undefined {
  const wanted = handler.secure === 'always' ? 'https' : handler.secure === 'never' ? 'http' : undefined;
  if (wanted === undefined || requestScheme(req) === wanted) return undefined;
  const host = checkHost(req, options);
  if (!host.ok) return textResponse(400, `Bad Request: ${host.reason}.`);
  const port = wanted === 'https' ? options.httpsPort : options.httpPort;
  const authority = port === undefined || port === DEFAULT_PORTS[wanted] ? host.host.hostname : `${host.host.hostname}:${port}`;
  const { path, query } = redirectTarget(req);
  const location = `${wanted}://${authority}${path}${wanted === 'https' && query !== '' ? `?${query}` : ''}`;
  // The body names no URL: a Location is never rendered (CVE-2024-43799).
  return textResponse(handler.redirect_http_response_code, `This page is served over ${wanted}.`, { Location: location });
}

/**
 * The `secure` part as a middleware: applies `secureResponse` to the handler the router chose
 * (`req.appEngine.route`), so it goes after routing and, as on App Engine, before `login`.
 * Requests without a route pass through.
 */
export function secure(options: SecureOptions = {}): Middleware {
  assertAllowedHosts(options.allowedHosts);
  for (const key of ['httpsPort', 'httpPort'] as const) {
    const port = options[key];
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw new TypeError(`secure: ${key} must be a port number (1-65535), not ${String(port)}`);
    }
  }
  const settings: SecureOptions = { ...options };
  return (req, res, next) => {
    const handler = req.appEngine?.route?.handler;
    const response = handler && secureResponse(handler, req, settings);
    if (response) writeResponse(res, response);
    else next();
  };
}
