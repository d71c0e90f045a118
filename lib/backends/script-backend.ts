import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteMatch } from '../router/route-table.js';

/**
 * What `appYaml()` needs of a backend that runs `script:` handlers (WSGI, CGI, the entrypoint):
 * which matched routes it takes, how it serves one, and how it stops. Each backend is also
 * usable alone as a middleware (`wsgi()`, `cgi()`, `entrypoint()`).
 */
export interface ScriptBackend {
  /** Whether this backend serves `route`, a matched `script:` handler (or, for the entrypoint, no match at all). */
  handles(route: RouteMatch | undefined): boolean;
  /**
   * True when the backend hands whole responses to its `send` option (the frontend's
   * `sendScriptResponse`); false when it writes to `res` itself, so `appYaml()` must capture the
   * response to apply App Engine's dynamic response rules.
   */
  readonly sendsWhole: boolean;
  /**
   * Serves a request whose `req.appEngine.route` it handles, after the envelope's `handOver`.
   * Never throws: problems are answered (500, 502, 503, 504) and logged.
   */
  readonly handle: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  /** Stops every process it started; resolves once all are gone. */
  close(): Promise<void>;
}
