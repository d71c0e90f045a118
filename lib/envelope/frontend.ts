import type { IncomingMessage, ServerResponse } from 'node:http';
import fresh from 'fresh';
import type { AppConfig, ErrorCode } from '../config/types.js';
import {
  compressBody,
  compressionPolicy,
  compressionRequest,
  createEncoder,
  encodedHeaders,
  negotiateEncoding,
  notModifiedHeaders,
  type CompressionOptions,
  type CompressionPlan,
  type CompressionRequest,
  type Encoding,
} from './compression.js';
import type { DeadlineHandler } from './deadline.js';
import { ErrorPages } from './error-pages.js';
import { cacheLifetime, FrontendCache, type CacheEntry, type FrontendCacheOptions } from './frontend-cache.js';
import { requestLogger } from './logger.js';
import { applyDynamicResponseRules, DEFAULT_RESPONSE_LIMIT, isFinalStatus, rewriteDynamicHeaders, type AppResponse } from './response-rules.js';
import { clearResponseHeaders, nativeOf, Tap, type BodyTarget, type NativeResponse, type TapSink } from './response-tap.js';

/** How App Engine's frontend treats responses: limits, compression, the edge cache. */
export interface FrontendOptions {
  /**
   * Largest script response body in bytes. Buffered responses over it are answered 500 with an
   * empty body (or the app's `default` error page), as App Engine does; streamed ones are cut
   * (the connection is closed mid-body). Default 33 554 432 (32 MiB).
   */
  responseLimit?: number;
  /**
   * Send script responses as they are written instead of buffering them whole (App Engine
   * buffers: nothing reaches the client before the app has finished). Rules that need the whole
   * body then differ: no Content-Length (chunked), and a deadline after the first write cuts the
   * connection instead of answering the timeout page. Default false.
   */
  streamResponses?: boolean;
  /** gzip (br when the client ranks it higher) for clients App Engine would compress for; `false` turns it off. Default on. */
  compression?: boolean | CompressionOptions;
  /**
   * An in-memory stand-in for the Google Frontend's edge cache, for `Cache-Control: public,
   * max-age=N` responses (static files included: they are `public, max-age=600` by default, so
   * edits show after up to ten minutes, as after a deploy). Off by default.
   */
  frontendCache?: boolean | FrontendCacheOptions;
}

/** App Engine's frontend for responses, compiled once per app; see `compileFrontend`. */
export interface Frontend {
  /**
   * Answers from the edge cache when it holds the URL (true), before the matched handler runs;
   * call after `secure` and `login` have let the request through.
   */
  serveCached(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Runs a static handler's `serve` with compression (and cache storage) applied to what it
   * writes; returns what `serve` returned (false: it declined and wrote nothing).
   */
  serveStatic(req: IncomingMessage, res: ServerResponse, serve: () => boolean): boolean;
  /**
   * Whether static responses with these headers are compressed for clients that take it; the
   * static handler then puts `Vary: Accept-Encoding` in the file's precomputed headers, so that
   * requests no coding can be chosen for are served without the frontend in the way.
   */
  staticVaries(headers: ReadonlyArray<readonly [string, string]>): boolean;
  /**
   * Takes over what an in-process script handler writes to `res` (call after the envelope's
   * `handOver`, before handing the request on): App Engine's dynamic response rules, the size
   * limit, compression and the cache apply to it.
   */
  captureScript(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Sends a script response a backend produced whole (WSGI), with the same treatment; dropped
   * when the frontend has answered already (a deadline) or the client has gone.
   */
  sendScriptResponse(req: IncomingMessage, res: ServerResponse, response: AppResponse): void;
  /**
   * Answers a failure of the frontend or a backend (502 crash, 503 unavailable…) with the app's
   * error page for `code` (else its `default` page, else App Engine's generic page). A response
   * already under way is cut instead.
   */
  answerError(req: IncomingMessage, res: ServerResponse, status: number, code?: ErrorCode): void;
  /** For the envelope's `onDeadline`: the `timeout` error page (else `default`). */
  readonly onDeadline: DeadlineHandler;
  /** Drops the cached response of one full URL, or all of them; returns how many went. */
  purge(url?: string): number;
  /** Empties the cache. */
  close(): void;
}

const NO_COMPRESSION: CompressionPlan = { vary: false, encoding: undefined };
const NO_CLIENT: CompressionRequest = { method: 'GET', acceptEncoding: undefined, userAgent: undefined };

type Encoder = (body: Buffer, encoding: Encoding) => Promise<Buffer>;

// What a 304 from the cache repeats of the 200 (RFC 9110 §15.4.5).
const NOT_MODIFIED_FIELDS = new Set(['cache-control', 'content-location', 'etag', 'expires', 'vary']);

/** Compiles the frontend for an app: reads its error pages, sets up compression and the cache. */
export function compileFrontend(config: Pick<AppConfig, 'root' | 'error_handlers'>, options: FrontendOptions = {}): Frontend {
  const limit = options.responseLimit ?? DEFAULT_RESPONSE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`responseLimit must be a whole number of bytes, got ${String(limit)}`);
  const stream = options.streamResponses ?? false;
  const policy = options.compression === false ? undefined : compressionPolicy(options.compression === true ? {} : options.compression);
  const cache = options.frontendCache ? new FrontendCache(options.frontendCache === true ? {} : options.frontendCache) : undefined;
  const pages = new ErrorPages(config);
  // Compressed copies of static bodies, made on first use and kept as long as the body: the
  // static handler answers a file from memory with the same Buffer every time, so each file is
  // compressed once per encoding (its index may hold up to 64 MiB of such bodies by default).
  const staticEncoded = new WeakMap<Buffer, Map<Encoding, Promise<Buffer>>>();

  function planFor(req: IncomingMessage, status: number, headers: ReadonlyArray<readonly [string, string]>, length: number | undefined): CompressionPlan {
    return policy ? policy(compressionRequest(req), status, headers, req.method === 'HEAD' ? undefined : length) : NO_COMPRESSION;
  }

  /** Sends the head for real; false (connection closed) if Node refuses it. */
  function writeHead(res: ServerResponse, out: NativeResponse, status: number, headers: Array<[string, string]>): boolean {
    clearResponseHeaders(res);
    try {
      out.writeHead(status, headers);
      return true;
    } catch (err) {
      // Every header here passed the rules or came from validated config: a bug, not the client's doing.
      requestLogger(res.req).error({ err }, 'response headers refused; connection closed');
      res.destroy();
      return false;
    }
  }

  /** Writes the final response for real, unless the frontend answered meanwhile or the client left. */
  function writeOut(res: ServerResponse, out: NativeResponse, status: number, headers: Array<[string, string]>, body: Buffer | undefined): void {
    if (res.headersSent || res.destroyed || !writeHead(res, out, status, headers)) return;
    out.end(body && body.length > 0 && res.req.method !== 'HEAD' ? body : undefined);
  }

  /**
   * Sends a complete identity response, compressed when the client and the type allow (using
   * `encode` for bodies that keep their encodings, like cache entries).
   */
  function send(req: IncomingMessage, res: ServerResponse, out: NativeResponse, response: AppResponse, encode: Encoder = compressBody): void {
    const { status, body } = response;
    const headers = status === 304 ? notModifiedHeaders(response.headers, req.headers['if-none-match']) : response.headers;
    const plan = planFor(req, status, headers, body.length);
    const sent = encodedHeaders(headers, plan);
    const encoding = plan.encoding;
    if (!encoding || req.method === 'HEAD') return writeOut(res, out, status, sent, body);
    encode(body, encoding).then(
      (bytes) => writeOut(res, out, status, [...sent, ['Content-Length', String(bytes.length)]], bytes),
      (err: unknown) => {
        requestLogger(req).warn({ err }, 'compression failed; sent uncompressed');
        writeOut(res, out, status, encodedHeaders(headers, { vary: plan.vary, encoding: undefined }), body);
      },
    );
  }

  /** Stores what the cache would keep, then sends. */
  function finish(req: IncomingMessage, res: ServerResponse, out: NativeResponse, response: AppResponse, encode?: Encoder): void {
    cache?.store(req, response, Date.now());
    send(req, res, out, response, encode);
  }

  /** Compresses a static body once per encoding (see `staticEncoded`). */
  function encodeStatic(body: Buffer, encoding: Encoding): Promise<Buffer> {
    let copies = staticEncoded.get(body);
    if (!copies) staticEncoded.set(body, (copies = new Map()));
    let made = copies.get(encoding);
    if (!made) {
      made = compressBody(body, encoding);
      copies.set(encoding, made);
      made.catch(() => copies.delete(encoding));
    }
    return made;
  }

  /** The body of a streamed response: size cap, compression, and a copy for the cache. */
  function streamBody(req: IncomingMessage, res: ServerResponse, out: NativeResponse, status: number, identity: Array<[string, string]>, cap: number): BodyTarget {
    const plan = planFor(req, status, identity, undefined);
    if (!writeHead(res, out, status, encodedHeaders(identity, plan))) return { write: () => true, end: () => undefined };
    if (status === 204 || status === 304 || req.method === 'HEAD') return { write: () => true, end: () => out.end() };
    let sent = 0;
    let copy: Buffer[] | undefined = cache && req.method === 'GET' && status === 200 && cacheLifetime(identity) !== undefined ? [] : undefined;
    const encoder = plan.encoding ? createEncoder(plan.encoding) : undefined;
    if (encoder) {
      encoder.on('data', (data: Buffer) => {
        if (!out.write(data)) encoder.pause();
      });
      res.on('drain', () => encoder.resume());
      // The writer (a pipe) waits for the response's drain; the encoder is what fills up now.
      encoder.on('drain', () => res.emit('drain'));
      encoder.on('end', () => out.end());
      encoder.on('error', () => res.destroy());
      res.once('close', () => encoder.destroy());
    }
    return {
      write(chunk) {
        sent += chunk.length;
        if (sent > cap) {
          requestLogger(req).error({ limit: cap }, 'Response over the size limit; connection cut');
          res.destroy();
          return true;
        }
        // A body the cache would refuse is not copied any further.
        if (copy && sent > cache!.maxEntry) copy = undefined;
        copy?.push(chunk);
        return encoder ? encoder.write(chunk) : out.write(chunk);
      },
      end() {
        if (res.destroyed) return;
        if (encoder) encoder.end();
        else out.end();
        if (copy) {
          const body = Buffer.concat(copy);
          const headers = identity.filter(([name]) => name.toLowerCase() !== 'content-length');
          cache!.store(req, { status, headers: [...headers, ['Content-Length', String(body.length)]], body }, Date.now());
        }
      },
    };
  }

  // One sink of each kind serves every request: the tap carries the request's state.
  const scriptSink: TapSink = {
    complete: (tap, response) => sendScript(tap.res.req, tap.res, tap, response),
    stream(tap, status, headers) {
      const { res } = tap;
      if (!isFinalStatus(status)) {
        backendBroke(res.req, res, status);
        return { write: () => true, end: () => undefined };
      }
      return streamBody(res.req, res, tap, status, rewriteDynamicHeaders(status, headers, { method: res.req.method }), limit);
    },
    overflow: (tap) => tooLarge(tap.res.req, tap.res),
  };
  const staticSink: TapSink = {
    complete: (tap, response) => finish(tap.res.req, tap.res, tap, response, encodeStatic),
    stream: (tap, status, headers) => streamBody(tap.res.req, tap.res, tap, status, headers, Infinity),
    overflow: () => undefined,
  };
  const scriptTap = { buffer: !stream, limit };
  const staticTap = { buffer: false, limit: Infinity };

  function sendScript(req: IncomingMessage, res: ServerResponse, out: NativeResponse, response: AppResponse): void {
    // Too late: the frontend answered already (a deadline), or the client left. Not cached either.
    if (res.headersSent || res.destroyed) return;
    if (!isFinalStatus(response.status)) return backendBroke(req, res, response.status);
    if (response.body.length > limit) return tooLarge(req, res);
    finish(req, res, out, applyDynamicResponseRules(response, { method: req.method }));
  }

  function backendBroke(req: IncomingMessage, res: ServerResponse, status: number): void {
    requestLogger(req).error({ status }, 'The app answered with an invalid status; answered 502');
    pages.answer(req, res, 502);
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse): void {
    requestLogger(req).error({ limit }, 'Response over the size limit; answered 500');
    // Production answers an empty 500; the app's default page replaces it when it has one.
    pages.answer(req, res, 500, 'default', true);
  }

  function answerFromCache(req: IncomingMessage, res: ServerResponse, entry: CacheEntry, now: number): void {
    const age: [string, string] = ['Age', String(Math.max(0, Math.floor((now - entry.storedAt) / 1000)))];
    const stored = entry.response.headers;
    const validators = {
      etag: stored.find(([n]) => n.toLowerCase() === 'etag')?.[1],
      'last-modified': stored.find(([n]) => n.toLowerCase() === 'last-modified')?.[1],
    };
    if (fresh(req.headers, validators)) {
      const kept = stored.filter(([n]) => NOT_MODIFIED_FIELDS.has(n.toLowerCase()));
      return send(req, res, nativeOf(res), { status: 304, headers: [...kept, age], body: Buffer.alloc(0) });
    }
    const encode = (_body: Buffer, encoding: Encoding) => cache!.encoded(entry, encoding, (body) => compressBody(body, encoding));
    send(req, res, nativeOf(res), { status: 200, headers: [...stored, age], body: entry.response.body }, encode);
  }

  return {
    serveCached(req, res) {
      const now = Date.now();
      const entry = cache?.lookup(req, now);
      if (!entry) return false;
      answerFromCache(req, res, entry, now);
      return true;
    },

    serveStatic(req, res, serve) {
      // Nothing to compress for this client, nothing to cache: the file's own headers say it all.
      if (!cache && (!policy || negotiateEncoding(compressionRequest(req)) === undefined)) return serve();
      const tap = new Tap(res, staticSink, staticTap);
      let served = false;
      try {
        served = serve();
      } finally {
        if (!served) tap.remove();
      }
      return served;
    },

    staticVaries: (headers) => policy !== undefined && policy(NO_CLIENT, 200, headers, undefined).vary,

    captureScript(_req, res) {
      // The tap installs itself on `res`; the sink finds it there.
      new Tap(res, scriptSink, scriptTap);
    },

    sendScriptResponse(req, res, response) {
      sendScript(req, res, nativeOf(res), response);
    },

    answerError: (req, res, status, code) => pages.answer(req, res, status, code),
    onDeadline: pages.onDeadline,
    purge: (url) => cache?.purge(url) ?? 0,
    close: () => void cache?.purge(),
  };
}
