import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib, { type BrotliOptions, type ZlibOptions } from 'node:zlib';
import compressible from 'compressible';
import Negotiator from 'negotiator';
import { addVary, listValues } from './response-rules.js';

/** Options of the frontend's compression. */
export interface CompressionOptions {
  /**
   * Bodies shorter than this many bytes are sent as they are: the gzip header and trailer (18
   * bytes) and the extra round of work outweigh the gain. Default 1024, the lower bound Google's
   * Cloud CDN documents for its dynamic compression.
   */
  threshold?: number;
}

export type Encoding = 'gzip' | 'br';

/** What compression needs to know about a request. */
export interface CompressionRequest {
  method: string | undefined;
  /** The client's Accept-Encoding (App Engine hides it from the app; see `req.appEngine.acceptEncoding`). */
  acceptEncoding: string | undefined;
  userAgent: string | undefined;
}

/** What compression decided for a response: whether it varies by encoding, and the encoding to use. */
export interface CompressionPlan {
  /** The type could be compressed: `Vary: Accept-Encoding` belongs on it whatever this client gets. */
  vary: boolean;
  encoding: Encoding | undefined;
}

export const DEFAULT_COMPRESSION_THRESHOLD = 1024;

const GZIP_OPTIONS: ZlibOptions = {};
// Quality 4 (of 11) compresses about as fast as gzip level 6 and still smaller; 11 is for build tools.
const brotliOptions = (size: number): BrotliOptions => ({
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size },
});
const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

// Among equally weighted codings gzip wins: App Engine documents gzip, and this keeps what most
// browsers get (they weight br and gzip alike) predictable. br is used when the client ranks it
// strictly higher, or accepts nothing else.
const OFFERED = ['gzip', 'br', 'identity'];
const PREFERENCE = { preferred: ['gzip', 'br'] };
// @types/negotiator predates the `preferred` option of negotiator 1.x.
type EncodingWithPreference = (available: readonly string[], options: typeof PREFERENCE) => string | undefined;

// Netscape 4 (a `Mozilla/4` agent that is not a "compatible" MSIE or Opera) mishandles gzip
// outside text/html, 4.06–4.08 everywhere (Apache's mod_deflate recipe); MSIE 4–6 before
// Windows XP SP2 (no "SV1") loses compressed responses from its cache (nginx's `gzip_disable
// msie6`).
const NETSCAPE_4 = /^Mozilla\/4\.(?!.*\bcompatible\b)/;
const OLD_MSIE = /\bMSIE [4-6]\.(?!.*\bSV1\b)/;

/**
 * App Engine compresses only when "the request's Accept-Encoding and User-Agent headers both
 * indicate the client can receive gzip" (spec §3.7). What the User-Agent half means, as Google
 * documents it for its APIs and as clients report it: the agent contains `gzip` (which forces it,
 * "Accept-Encoding: gzip" plus "User-Agent: my program (gzip)"), or it is a browser, i.e. it
 * starts with `Mozilla/` or `Opera/`, and not one of the browsers with broken gzip support.
 * Command-line tools and HTTP libraries (curl, okhttp, python-requests, Go) get identity unless
 * their agent says `gzip`, as they do on App Engine.
 */
export function userAgentTakesGzip(userAgent: string | undefined): boolean {
  if (!userAgent) return false;
  if (/gzip/i.test(userAgent)) return true;
  if (!/^(?:Mozilla|Opera)\//.test(userAgent)) return false;
  return !NETSCAPE_4.test(userAgent) && !OLD_MSIE.test(userAgent);
}

/** The coding to send this client (none without Accept-Encoding, or when identity is preferred). */
export function negotiateEncoding(request: Pick<CompressionRequest, 'acceptEncoding' | 'userAgent'>): Encoding | undefined {
  if (!request.acceptEncoding || !userAgentTakesGzip(request.userAgent)) return undefined;
  const negotiator = new Negotiator({ headers: { 'accept-encoding': request.acceptEncoding } });
  const chosen = (negotiator.encoding as EncodingWithPreference).call(negotiator, OFFERED, PREFERENCE);
  return chosen === 'gzip' || chosen === 'br' ? chosen : undefined;
}

/** The request's compression facts; `acceptEncoding` from `req.appEngine`, since the envelope strips the header. */
export function compressionRequest(req: IncomingMessage): CompressionRequest {
  return {
    method: req.method,
    acceptEncoding: req.appEngine?.acceptEncoding ?? header(req.headers['accept-encoding']),
    userAgent: header(req.headers['user-agent']),
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function first(headers: ReadonlyArray<readonly [string, string]>, lower: string): string | undefined {
  return headers.find(([name]) => name.toLowerCase() === lower)?.[1];
}

/** Compiles the options into the decision compression makes for each response. */
export function compressionPolicy(options: CompressionOptions = {}): (request: CompressionRequest, status: number, headers: ReadonlyArray<readonly [string, string]>, length: number | undefined) => CompressionPlan {
  const threshold = options.threshold ?? DEFAULT_COMPRESSION_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold < 0) throw new TypeError(`compression: threshold must be a non-negative number, got ${String(threshold)}`);
  const none: CompressionPlan = { vary: false, encoding: undefined };
  /**
   * Compresses text-like types (compressible's table: text/*, JSON, JavaScript, XML, SVG…) of
   * `threshold` bytes or more, for a client that takes gzip; never a range (206), a bodiless
   * status, a body that already has a Content-Encoding, or one marked `no-transform` (RFC 9111
   * §5.2.2.6). `length` is the body's when known (a HEAD response: its Content-Length).
   */
  return (request, status, headers, length) => {
    if (status < 200 || status === 204 || status === 206 || status === 304) return none;
    if (first(headers, 'content-encoding') !== undefined || first(headers, 'content-range') !== undefined) return none;
    if (listValues(headers, 'cache-control').some((d) => d.toLowerCase() === 'no-transform')) return none;
    if (compressible(first(headers, 'content-type') ?? '') !== true) return none;
    const declared = Number(first(headers, 'content-length') ?? NaN);
    const size = length ?? (Number.isNaN(declared) ? undefined : declared);
    if (size !== undefined && size < threshold) return { vary: true, encoding: undefined };
    return { vary: true, encoding: negotiateEncoding(request) };
  };
}

const STRONG_ETAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * The headers of the response as sent compressed: Vary, Content-Encoding, no Content-Length
 * (the caller adds the encoded one when it knows it), and the ETag made weak, as Google's CDN
 * does (RFC 9110 §8.8.3: another coding is another representation, so it must not carry the
 * identity's strong tag; the weak one still matches it under If-None-Match's weak comparison, for
 * the static handler and for apps alike). An ETag that is not a valid entity-tag is dropped.
 */
export function encodedHeaders(headers: Array<[string, string]>, plan: CompressionPlan): Array<[string, string]> {
  // Returns `headers` itself when there is nothing to change; new lists otherwise.
  const out = plan.vary ? addVary(headers, 'Accept-Encoding') : headers;
  if (!plan.encoding) return out;
  const encoded = out.flatMap(([name, value]): Array<[string, string]> => {
    const lower = name.toLowerCase();
    if (lower === 'content-length') return [];
    if (lower !== 'etag' || value.startsWith('W/"')) return [[name, value]];
    return STRONG_ETAG.test(value) ? [[name, `W/${value}`]] : [];
  });
  encoded.push(['Content-Encoding', plan.encoding]);
  return encoded;
}

/**
 * A 304 answers for the representation the client holds. When it validated with the weak tag a
 * compressed response gave it (`W/"x"`) and the 304 carries the identity's `"x"`, the 304 gets
 * `W/"x"` back, so that caches update the entry they have.
 */
export function notModifiedHeaders(headers: Array<[string, string]>, ifNoneMatch: string | undefined): Array<[string, string]> {
  if (!ifNoneMatch) return headers;
  const held = ifNoneMatch.split(',').map((tag) => tag.trim());
  return headers.map(([name, value]): [string, string] =>
    name.toLowerCase() === 'etag' && STRONG_ETAG.test(value) && held.includes(`W/${value}`) && !held.includes(value) ? [name, `W/${value}`] : [name, value],
  );
}

/**
 * Up to this size a body is compressed on the main thread: handing it to the thread pool costs
 * more than the work (measured: a 1 KiB gzip takes 36 µs of CPU in one call, 100 µs through the
 * pool), and 64 KiB blocks the event loop for about a third of a millisecond.
 */
const SYNC_LIMIT = 64 * 1024;

/** Compresses a whole body: in one call when small, in the thread pool when larger. */
export function compressBody(body: Buffer, encoding: Encoding): Promise<Buffer> {
  if (body.length <= SYNC_LIMIT) {
    try {
      return Promise.resolve(encoding === 'gzip' ? zlib.gzipSync(body, GZIP_OPTIONS) : zlib.brotliCompressSync(body, brotliOptions(body.length)));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return encoding === 'gzip' ? gzip(body, GZIP_OPTIONS) : brotli(body, brotliOptions(body.length));
}

/** A compressing stream, for bodies that arrive in pieces. */
export function createEncoder(encoding: Encoding): zlib.Gzip | zlib.BrotliCompress {
  return encoding === 'gzip' ? zlib.createGzip(GZIP_OPTIONS) : zlib.createBrotliCompress(brotliOptions(0));
}
