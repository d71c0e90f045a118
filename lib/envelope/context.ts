import type { RouteMatch } from '../router/route-table.js';

/** A signed-in user, as App Engine's Users API describes one. */
export interface AppEngineUser {
  email: string;
  userId: string;
  nickname: string;
  isAdmin: boolean;
  organization?: string;
  authDomain?: string;
}

/**
 * What appyaml decided about a request, in App Engine's terms, for the other parts and for the
 * host app: `req.appEngine`. Set by the first appyaml part that sees the request.
 */
export interface AppEngineRequest {
  /** The path decoded exactly once, without the query: what handlers are matched against. */
  path: string;
  /** The raw query string without `?` ('' when absent). */
  query: string;
  /** The scheme the client used, from the socket or a trusted proxy's headers. */
  scheme: 'http' | 'https';
  /** The client's address, from the socket or a trusted proxy's X-Forwarded-For. */
  clientIp: string;
  /** The handler that matched, once routing has run. */
  route?: RouteMatch;
  /** The signed-in user, once the login part has looked (null: nobody is signed in). */
  user?: AppEngineUser | null;

  // Set by `envelope()`; optional because the other parts also work without it.

  /** App Engine's request log id (time-ordered hex), as in `X-AppEngine-Request-Log-Id` and `REQUEST_LOG_ID`. */
  requestLogId?: string;
  /** `REQUEST_ID_HASH`: the crc32 of `requestLogId`, 8 upper-case hex digits. */
  requestIdHash?: string;
  /** The `X-Cloud-Trace-Context` the app sees: a trusted peer's, or a new one. */
  trace?: TraceContext;
  /** Where the client is, as in `X-AppEngine-Country`/`-Region`/`-City`/`-CityLatLong`. */
  geo?: GeoLocation;
  /**
   * The client's `Accept-Encoding`, which App Engine hides from the app (its frontend does the
   * compressing); kept here for the part that compresses responses.
   */
  acceptEncoding?: string;
  /** `X-AppEngine-Default-Version-Hostname` / `DEFAULT_VERSION_HOSTNAME`. */
  defaultVersionHostname?: string;
  /** When the request's deadline passes (epoch milliseconds); absent when it has none. */
  deadline?: number;
  /**
   * Aborted when work on the request should stop: the deadline passed, the body went over its
   * limit or stalled, or the client went away. `signal.reason` is a `RequestAbortedError`; when it
   * fires, the client has already been answered (or its connection destroyed).
   */
  signal?: AbortSignal;
}

/** An `X-Cloud-Trace-Context` (`TRACE_ID/SPAN_ID;o=OPTIONS`), split up. */
export interface TraceContext {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** An unsigned 64-bit integer in decimal, as the header carries it. */
  spanId: string;
  /** `o=1`: the trace is recorded. */
  sampled: boolean;
}

/** The client's location, as App Engine's `X-AppEngine-*` geo headers give it. */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2 code; `ZZ` when unknown. */
  country: string;
  /** ISO 3166-2 subdivision code, e.g. `ca`. */
  region?: string;
  /** Lower-case city name, e.g. `san francisco`. */
  city?: string;
  /** `latitude,longitude`, e.g. `37.774929,-122.419416`. */
  cityLatLong?: string;
}

declare module 'http' {
  interface IncomingMessage {
    /** appyaml's view of the request; see `AppEngineRequest`. */
    appEngine?: AppEngineRequest;
  }
}
