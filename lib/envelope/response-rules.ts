import { formatHttpDate, parseHttpDate } from '../handlers/static/http-date.js';
import { HEADER_NAME, PRINTABLE_ASCII } from '../header-syntax.js';

/**
 * A complete response as the app produced it, independent of any server object: what a backend
 * hands to the frontend, and what the frontend writes after rewriting it.
 */
export interface AppResponse {
  status: number;
  /** In order, duplicates kept (`Set-Cookie`); names in any case. */
  headers: Array<[name: string, value: string]>;
  body: Buffer;
}

/** What the dynamic response rules need to know about the request. */
export interface ResponseRequestFacts {
  /** The request method; HEAD responses keep their headers and lose their body. */
  method: string | undefined;
  /** Milliseconds since the epoch; default `Date.now()`. */
  now?: number;
}

/** App Engine's limit on a dynamic response body: 32 MiB (app-engine.md §4). */
export const DEFAULT_RESPONSE_LIMIT = 33_554_432;

/** What the frontend sets itself: hop-by-hop headers, and the framing and identity of the response (spec §3.4). */
const REMOVED = new Set([
  'connection', 'content-encoding', 'content-length', 'date', 'keep-alive', 'proxy-authenticate', 'server',
  'trailer', 'transfer-encoding', 'upgrade',
]);
// RFC 9110 token: what Node accepts as a name; App Engine drops anything else.
// App Engine drops values with characters outside printable ASCII (tab and non-ASCII included).
// Directives that already keep shared caches from storing the response; only their bare forms
// (`no-cache="Set-Cookie"` still lets a cache store the rest).
const NON_PUBLIC = new Set(['private', 'no-cache', 'no-store']);

/** Whether `status` can end a response; anything else from an app is a broken backend (502). */
export function isFinalStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 599;
}

/** 204 and 304 never carry a body, nor the headers that describe one (spec §3.4 step 5). */
function bodiless(status: number): boolean {
  return status === 204 || status === 304;
}

/** The headers App Engine removes from app responses (spec §3.4 step 2), in order. */
function keptHeaders(headers: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if (typeof name !== 'string' || typeof value !== 'string') continue;
    if (!HEADER_NAME.test(name) || !PRINTABLE_ASCII.test(value) || REMOVED.has(name.toLowerCase())) continue;
    out.push([name, value]);
  }
  return out;
}

function has(headers: ReadonlyArray<readonly [string, string]>, lower: string): boolean {
  return headers.some(([name]) => name.toLowerCase() === lower);
}

/** The comma-separated elements of every field named `lower`, trimmed, empty ones dropped. */
export function listValues(headers: ReadonlyArray<readonly [string, string]>, lower: string): string[] {
  const out: string[] = [];
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== lower) continue;
    for (const part of value.split(',')) {
      const item = part.trim();
      if (item !== '') out.push(item);
    }
  }
  return out;
}

/** Removes every field named `lower` and appends `[name, value]`. */
function replace(headers: Array<[string, string]>, lower: string, name: string, value: string): Array<[string, string]> {
  const out = headers.filter(([n]) => n.toLowerCase() !== lower);
  out.push([name, value]);
  return out;
}

/** Adds `field` to Vary unless it is already listed (or `*` is). */
export function addVary(headers: Array<[string, string]>, field: string): Array<[string, string]> {
  const listed = listValues(headers, 'vary');
  const lower = field.toLowerCase();
  if (listed.some((v) => v === '*' || v.toLowerCase() === lower)) return headers;
  listed.push(field);
  return replace(headers, 'vary', 'Vary', listed.join(', '));
}

/**
 * The header half of App Engine's production rules for a script's response (spec §3.4, "Prod
 * dynamic-response facts"), usable before the body is known (streamed responses):
 * - hop-by-hop, `Content-Encoding`, `Content-Length`, `Date` and `Server` removed, and any header
 *   whose name is not a token or whose value is not printable ASCII;
 * - no `Content-Type` → `text/html` (not on 204/304: a 304 would overwrite the type a cache
 *   stored, where the dev server adds it);
 * - no `Cache-Control` and no `Expires` → `Cache-Control: private` and `Vary: Accept-Encoding`;
 * - `Set-Cookie` → `public` dropped and `private` added unless `private`, `no-cache` or
 *   `no-store` is there; `Expires` pulled to now unless it is already in the past;
 * - `Server: Google Frontend`.
 * The cache rules skip 204 and 304, as the dev server does. A HEAD response keeps a valid
 * `Content-Length` from the app (the only length it can have), as the dev server does.
 */
export function rewriteDynamicHeaders(status: number, headers: ReadonlyArray<readonly [string, string]>, request: ResponseRequestFacts): Array<[string, string]> {
  let out = keptHeaders(headers);
  if (request.method === 'HEAD' && !bodiless(status)) {
    const length = headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1];
    if (length !== undefined && /^\d+$/.test(length)) out.push(['Content-Length', length]);
  }
  if (!bodiless(status)) {
    if (!has(out, 'content-type')) out.push(['Content-Type', 'text/html']);
    out = cacheRules(out, request.now ?? Date.now());
  }
  out.push(['Server', 'Google Frontend']);
  return out;
}

function cacheRules(headers: Array<[string, string]>, now: number): Array<[string, string]> {
  let out = headers;
  if (!has(out, 'cache-control') && !has(out, 'expires')) {
    out = addVary([...out, ['Cache-Control', 'private']], 'Accept-Encoding');
  }
  if (!has(out, 'set-cookie')) return out;
  const directives = listValues(out, 'cache-control').filter((d) => d.toLowerCase() !== 'public');
  if (!directives.some((d) => NON_PUBLIC.has(d.toLowerCase()))) directives.push('private');
  out = replace(out, 'cache-control', 'Cache-Control', directives.join(', '));
  const expires = out.find(([name]) => name.toLowerCase() === 'expires')?.[1];
  const when = parseHttpDate(expires);
  if (when === undefined || when >= now) out = replace(out, 'expires', 'Expires', formatHttpDate(now));
  return out;
}

/**
 * App Engine's production rules for a complete script response (spec §3.4): the header rules of
 * `rewriteDynamicHeaders`, then the body: 204 and 304 lose it, HEAD keeps the headers and loses
 * it, and everything else gets `Content-Length` from its real length. Pure: the caller checks
 * `isFinalStatus` and the size limit first (both are the frontend's failures, answered with its
 * error pages).
 */
export function applyDynamicResponseRules(response: AppResponse, request: ResponseRequestFacts): AppResponse {
  const headers = rewriteDynamicHeaders(response.status, response.headers, request);
  if (bodiless(response.status) || request.method === 'HEAD') return { status: response.status, headers, body: Buffer.alloc(0) };
  headers.push(['Content-Length', String(response.body.length)]);
  return { status: response.status, headers, body: response.body };
}
