import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/types.js';
import { RequestAbort } from './abort.js';
import { answerPlain, closeIfBodyPending, hasBody } from './answers.js';
import type { AppEngineRequest, GeoLocation } from './context.js';
import { defaultDeadline, startDeadline, type DeadlineHandler } from './deadline.js';
import { defaultVersionHostname, resolveProject, type Mode } from './environment.js';
import { compileForwarding, type SecureSchemeHeaders, type TrustProxy } from './forwarding.js';
import { DEFAULT_BODY_IDLE_TIMEOUT, DEFAULT_BODY_LIMIT, declaredTooLarge, limitBody, type BodyMeter } from './limits.js';
import { bindRequestLogger, jsonLogger, silentLogger, type Logger } from './logger.js';
import { setEnvelopeHeaders, stripClientHeaders } from './request-headers.js';
import { formatTraceContext, newRequestLogId, newTraceContext, parseTraceContext, requestIdHash, spanIdHex } from './request-id.js';
import { logRequestOnClose, requestHeadBytes } from './request-log.js';
import { DEFAULT_MAX_PATH_LENGTH, decodeRequestPath } from './request-path.js';
import { answerRequestPath, requestTarget } from './request-target.js';
import { sendDeferredContinue } from './server.js';
import { HEADER_VALUE } from '../header-syntax.js';
import type { Middleware } from '../middleware.js';
import { userHeaders } from './user.js';

/** Looks up where a client is; undefined (or a throw) means unknown, sent as country `ZZ`. */
export type GeoLookup = (req: IncomingMessage, clientIp: string) => GeoLocation | undefined;

/** Size and time limits of `envelope()`. */
export interface EnvelopeLimits {
  /**
   * Largest request body in bytes; one over gets 413, from its `Content-Length` before a byte is
   * read, or as soon as a chunked body crosses it. `/_ah/*` paths are exempt, as on App Engine.
   * Default 33 554 432 (32 MiB, accepted exactly).
   */
  body?: number;
  /** Longest raw request path (without the query) in bytes; longer gets 414. Default 8192. */
  pathLength?: number;
  /**
   * Milliseconds a request body may stall, while the app waits for it, before the request is cut
   * with 408 (slow uploads). 0 for no limit. Default 30 000.
   */
  bodyIdleTimeout?: number;
}

/** Options of `envelope()`. */
export interface EnvelopeOptions {
  /** The loaded app.yaml: its scaling sets the default deadline, its `application` the project. */
  config?: AppConfig;
  /** Which peers' `X-Forwarded-*` (and `X-Cloud-Trace-Context`) to believe. Default `loopback`. */
  trustProxy?: TrustProxy;
  /** Headers that mean https when a trusted peer sends them. Default X-Forwarded-Proto / X-AppEngine-Https. */
  secureSchemeHeaders?: SecureSchemeHeaders;
  /** `production` (default) follows App Engine; `development` its dev server (default version hostname). */
  mode?: Mode;
  /** The project id, for trace names in logs and the default version hostname. See `IdentityOptions.project`. */
  project?: string;
  /**
   * `X-AppEngine-Default-Version-Hostname`. Default: `<project>.appspot.com` in production mode,
   * `localhost:<port>` in development mode.
   */
  defaultVersionHostname?: string;
  /**
   * Where the client is, for the `X-AppEngine-Country`/`-Region`/`-City`/`-CityLatLong` headers.
   * Default: unknown, so country `ZZ` and no others, as the dev server sends.
   */
  geo?: GeoLookup;
  /**
   * Where log lines go: any pino-compatible logger, or `false` for none. Default: JSON lines on
   * stdout (`jsonLogger()`).
   */
  logger?: Logger | false;
  limits?: EnvelopeLimits;
  /**
   * The request deadline in milliseconds; 0 for none. Default: App Engine's for the app's
   * scaling (`defaultDeadline(config)`: 60 s for python27 automatic scaling, 10 min for second
   * generation, 24 h for basic and manual, 60 min for flex).
   */
  deadline?: number;
  /**
   * Answers a request whose deadline passed before anything was sent, synchronously (load any
   * page at startup). Default, or when it sends nothing or throws: App Engine's generic 500 page.
   */
  onDeadline?: DeadlineHandler;
}


// Header values reach backends, where Node refuses control characters; anything else would be
// an exception later, so a geo lookup's odd value is dropped here instead.

function headerValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && HEADER_VALUE.test(value) ? value : undefined;
}

function checkLimit(name: string, value: number, allowZero: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`envelope: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}`);
  }
  return value;
}

/** What `admit` learned that `handOver` still needs. */
interface Admitted {
  peer: string;
  priorForwardedFor: string | string[] | undefined;
  traceHeader: string | undefined;
  bindings: Record<string, unknown>;
  aborted: RequestAbort;
  meter?: BodyMeter;
  /** REQUEST_ID_HASH, once read. */
  idHash?: string;
  handedOver?: boolean;
}

/**
 * App Engine's frontend work on a request, in two phases so that a composer can skip what a
 * response does not need. `admit` runs for every request; `handOver` runs before the request
 * reaches application code (a script backend or the host app), and is what static responses
 * skip: App Engine's static servers never hand the request to the app either.
 */
export interface Envelope {
  /**
   * Decides scheme and client address (trusted proxies only), gives the request its log id,
   * `REQUEST_ID_HASH` and trace context, decodes the path once, sets `req.appEngine`, refuses a
   * declared body over the limit, and logs one line when the response closes. Returns false when
   * it answered the request itself (400, 414, 302 for `.`/`..` segments, 413).
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Strips the headers a client may not send and adds App Engine's, meters the body, starts the
   * deadline and lets `100 Continue` go out. Call before the app sees the request; later calls
   * for the same request do nothing.
   */
  handOver(req: IncomingMessage, res: ServerResponse): void;
}

/** Compiles the options once into the two phases of the envelope. */
export function compileEnvelope(options: EnvelopeOptions = {}): Envelope {
  const forward = compileForwarding({ trustProxy: options.trustProxy, secureSchemeHeaders: options.secureSchemeHeaders });
  const mode = options.mode ?? 'production';
  const project = resolveProject(options.config, options);
  const fixedHostname = options.defaultVersionHostname ?? (mode === 'production' ? `${project}.appspot.com` : undefined);
  const logger = options.logger === false ? silentLogger : (options.logger ?? jsonLogger());
  const geo = options.geo;
  const bodyLimit = checkLimit('limits.body', options.limits?.body ?? DEFAULT_BODY_LIMIT, false);
  const pathLength = checkLimit('limits.pathLength', options.limits?.pathLength ?? DEFAULT_MAX_PATH_LENGTH, false);
  const idleTimeout = checkLimit('limits.bodyIdleTimeout', options.limits?.bodyIdleTimeout ?? DEFAULT_BODY_IDLE_TIMEOUT, true);
  const deadline = checkLimit('deadline', options.deadline ?? defaultDeadline(options.config), true);
  // setTimeout cannot wait longer than 2^31-1 ms (24.8 days); anything beyond is no deadline.
  const deadlineMs = deadline <= 0x7fffffff ? deadline : 0;
  const onDeadline = options.onDeadline;
  const tracePrefix = `projects/${project}/traces/`;
  const admitted = new WeakMap<IncomingMessage, Admitted>();

  function admit(req: IncomingMessage, res: ServerResponse): boolean {
    // Everything that reads client headers runs here, before handOver strips them.
    const forwarded = forward(req);
    const trusted = forwarded.viaTrustedProxy;
    const traceValue = trusted ? req.headers['x-cloud-trace-context'] : undefined;
    const traceHeader = typeof traceValue === 'string' ? traceValue.trim() : undefined;
    const target = requestTarget(req);
    const host = req.headers.host;

    const requestLogId = newRequestLogId();
    const trace = parseTraceContext(traceHeader) ?? newTraceContext();
    const bindings = {
      requestId: requestLogId,
      'logging.googleapis.com/trace': tracePrefix + trace.traceId,
      'logging.googleapis.com/spanId': spanIdHex(trace),
      'logging.googleapis.com/trace_sampled': trace.sampled,
    };
    bindRequestLogger(req, logger, bindings);

    const state: Admitted = {
      peer: req.socket.remoteAddress ?? '',
      priorForwardedFor: trusted ? req.headers['x-forwarded-for'] : undefined,
      traceHeader,
      bindings,
      aborted: new RequestAbort(),
    };
    admitted.set(req, state);
    // A silent logger only needs to know whether the client left early.
    if (logger === silentLogger) res.once('close', () => res.writableFinished || state.aborted.abort('client-closed'));
    else logRequestOnClose(req, res, {
      logger,
      bindings,
      url: target.charCodeAt(0) === 0x2f && host ? `${forwarded.scheme}://${host}${target}` : target,
      remoteIp: forwarded.clientIp,
      headBytes: requestHeadBytes(req),
      bodyBytes: () => state.meter?.received ?? 0,
      abortReason: () => state.aborted.reason,
      onClientClosed: () => state.aborted.abort('client-closed'),
    });

    const decoded = decodeRequestPath(target, pathLength);
    const location = lookUpGeo(req, forwarded.clientIp, bindings);
    const facts: AppEngineRequest = {
      // A refused path (answered just below) has no decoded form.
      path: decoded.kind === 'ok' ? decoded.path : '',
      query: decoded.kind === 'ok' ? decoded.query : '',
      scheme: forwarded.scheme,
      clientIp: forwarded.clientIp,
      requestLogId,
      // Only CGI/WSGI environments show it: hashed when first read.
      get requestIdHash() {
        return (state.idHash ??= requestIdHash(requestLogId));
      },
      trace,
      geo: location,
      acceptEncoding: req.headers['accept-encoding'],
      defaultVersionHostname: fixedHostname ?? defaultVersionHostname(req, project, mode),
      get signal() {
        return state.aborted.signal;
      },
    };
    req.appEngine = facts;
    if (decoded.kind !== 'ok') {
      closeIfBodyPending(req, res);
      answerRequestPath(res, decoded);
      return false;
    }
    // RFC 9112 §3.2 (security.md row 44): Node keeps only the first Host in req.headers, so the
    // app and anything keyed on another Host line would disagree about which host was asked.
    if (hostLines(req) > 1) {
      answerPlain(req, res, 400);
      return false;
    }
    if (hasBody(req) && !facts.path.startsWith('/_ah/') && declaredTooLarge(req, bodyLimit)) {
      answerPlain(req, res, 413);
      return false;
    }
    return true;
  }

  function handOver(req: IncomingMessage, res: ServerResponse): void {
    const state = admitted.get(req);
    const facts = req.appEngine;
    if (!state || !facts?.requestLogId || !facts.trace || !facts.geo) throw new Error('envelope: handOver() before admit()');
    // Once only: a request dispatched again (a CGI local redirect) keeps its envelope.
    if (state.handedOver) return;
    state.handedOver = true;
    stripClientHeaders(req);
    const { geo: location, trace } = facts;
    const keptTrace = parseTraceContext(state.traceHeader) !== undefined;
    setEnvelopeHeaders(req, {
      'X-AppEngine-Country': location.country,
      'X-AppEngine-Region': location.region,
      'X-AppEngine-City': location.city,
      'X-AppEngine-CityLatLong': location.cityLatLong,
      'X-Cloud-Trace-Context': keptTrace && state.traceHeader ? state.traceHeader : formatTraceContext(trace),
      'X-Forwarded-For': state.priorForwardedFor ? `${state.priorForwardedFor}, ${state.peer}` : state.peer,
      'X-Forwarded-Proto': facts.scheme,
      'X-AppEngine-Https': facts.scheme === 'https' ? 'on' : 'off',
      'X-AppEngine-User-IP': facts.clientIp,
      'X-AppEngine-Request-Log-Id': facts.requestLogId,
      'X-AppEngine-Default-Version-Hostname': facts.defaultVersionHostname ?? '',
      ...userHeaders(facts.user),
    });
    const { bindings, aborted } = state;
    if (hasBody(req)) {
      state.meter = limitBody(req, res, {
        limit: facts.path.startsWith('/_ah/') ? Infinity : bodyLimit,
        idleTimeout,
        onAbort: (cause) => {
          aborted.abort(cause);
          logger.warn({ ...bindings, limit: bodyLimit }, cause === 'body-too-large' ? 'Request body over the limit; cut' : 'Request body stalled; cut');
        },
      });
    }
    if (deadlineMs > 0) {
      facts.deadline = Date.now() + deadlineMs;
      startDeadline(req, res, {
        ms: deadlineMs,
        onDeadline,
        onExpire: (handlerError) => {
          aborted.abort('deadline');
          if (handlerError !== undefined) logger.error({ ...bindings, err: handlerError }, 'onDeadline failed; answered 500');
          logger.error({ ...bindings, deadline: deadlineMs / 1000 }, `Request exceeded its deadline of ${deadlineMs / 1000} s`);
        },
      });
    }
    sendDeferredContinue(req, res);
  }

  function lookUpGeo(req: IncomingMessage, clientIp: string, bindings: Record<string, unknown>): GeoLocation {
    if (!geo) return { country: 'ZZ' };
    let found: GeoLocation | undefined;
    try {
      found = geo(req, clientIp);
    } catch (err) {
      logger.warn({ ...bindings, err }, 'geo lookup failed; country sent as ZZ');
    }
    return {
      country: headerValue(found?.country) ?? 'ZZ',
      region: headerValue(found?.region),
      city: headerValue(found?.city),
      cityLatLong: headerValue(found?.cityLatLong),
    };
  }

  return { admit, handOver };
}

/**
 * What App Engine's frontend does to each request before the app sees it, as one middleware to
 * mount first: `admit` then `handOver` (see `Envelope`). A request that already went through an
 * envelope passes through unchanged.
 */
export function envelope(options: EnvelopeOptions = {}): Middleware {
  const { admit, handOver } = compileEnvelope(options);
  return function appEngineEnvelope(req, res, next) {
    if (req.appEngine?.requestLogId !== undefined) return next();
    try {
      if (!admit(req, res)) return;
      handOver(req, res);
    } catch (err) {
      return next(err);
    }
    next();
  };
}

/** How many Host header lines the request has (req.rawHeaders keeps the repeats Node drops). */
function hostLines(req: IncomingMessage): number {
  let count = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') count++;
  return count;
}

export { configureServer, type ServerTimeouts } from './server.js';
export { compileEnvironment, type AppEngineEnvironment, type EnvironmentOptions, type InstanceParams } from './environment.js';
export { requestLogger, jsonLogger, silentLogger, type Logger, type LogFn, type Severity, type JsonLoggerOptions } from './logger.js';
export { limitBody, DEFAULT_BODY_LIMIT, type BodyLimitOptions, type BodyMeter } from './limits.js';
export { defaultDeadline, type DeadlineHandler } from './deadline.js';
export { RequestAbortedError, type AbortCause } from './abort.js';
export { compileFrontend, type Frontend, type FrontendOptions } from './frontend.js';
export { applyDynamicResponseRules, rewriteDynamicHeaders, DEFAULT_RESPONSE_LIMIT, type AppResponse, type ResponseRequestFacts } from './response-rules.js';
export { userAgentTakesGzip, negotiateEncoding, type CompressionOptions, type Encoding } from './compression.js';
export { cacheLifetime, type FrontendCacheOptions } from './frontend-cache.js';

