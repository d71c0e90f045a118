import type { IncomingHttpHeaders } from 'node:http';
import type { StaticHandlerConfig } from '../../config/types.js';
import { evaluatePreconditions } from './conditional.js';
import type { FileEntry, FileIndex } from './file-index.js';
import { buildHeaderSet, type HeaderSet, type VariesByEncoding } from './headers.js';
import type { ExpiresClock } from './http-date.js';
import { evaluateRange } from './range.js';

/** A byte range of a file on disk, with what the index knew of it so that a changed file is not sent under a stale ETag. */
export interface FileBody {
  path: string;
  start: number;
  /** Inclusive. */
  end: number;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** What to answer, independent of any server object: `res.writeHead(status, headers)` then the body. */
export interface StaticResponse {
  status: number;
  /** Flat `[name, value, …]` list. */
  headers: readonly string[];
  /** Bytes from memory, a range of a file, or nothing. */
  body: Buffer | FileBody | undefined;
}

/** What the resolver needs besides the request. */
export interface ResolveContext {
  index: FileIndex;
  /** `default_expiration` in seconds, if the app sets one. */
  defaultExpiration: number | undefined;
  /** Send Last-Modified and evaluate date preconditions. */
  lastModified: boolean;
  clock: ExpiresClock;
  /** Whether the frontend compresses a file with these headers (its answers then carry `Vary: Accept-Encoding`). */
  varies: VariesByEncoding | undefined;
  /** Milliseconds since the epoch. */
  now: number;
}

const NOT_FOUND_BODY = Buffer.from('Not Found\n');

/** The static 404: a missing, skipped or unservable file, a directory or an invalid path (spec §2.3–§2.5). */
export const NOT_FOUND: StaticResponse = Object.freeze({
  status: 404,
  headers: Object.freeze([
    'Content-Type', 'text/plain; charset=utf-8',
    'Content-Length', String(NOT_FOUND_BODY.length),
    'X-Content-Type-Options', 'nosniff',
  ]),
  body: NOT_FOUND_BODY,
});

/** A `.` or `..` segment; the envelope redirects those in requests, but a `\1` can still assemble one. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * Resolves a request for `target` (the root-relative file path after `\1` expansion) served by a
 * static handler. Every method is answered as GET (App Engine treats all methods but HEAD as GET
 * for static files; the caller leaves the body out for HEAD). 'decline' means "act as if this
 * handler did not match" (`require_matching_file: true` and nothing to serve).
 */
export function resolveStatic(
  handler: StaticHandlerConfig,
  target: string,
  headers: IncomingHttpHeaders,
  ctx: ResolveContext,
): StaticResponse | 'decline' {
  const entry = isValidTarget(target) ? ctx.index.get(target) : undefined;
  const set = entry && headerSetFor(handler, entry, ctx);
  if (!entry || !set) return handler.require_matching_file ? 'decline' : NOT_FOUND;

  const validators = { etag: set.etag, lastModified: set.lastModified };
  const precondition = evaluatePreconditions(headers, validators, ctx.now);
  if (precondition === 'precondition-failed') return { status: 412, headers: [...set.preconditionFailed, 'Content-Length', '0'], body: undefined };
  const expires = set.expiresIn === undefined ? undefined : ctx.clock.expires(ctx.now, set.expiresIn);
  if (precondition === 'not-modified') {
    return { status: 304, headers: expires === undefined ? set.notModified : [...set.notModified, 'Expires', expires], body: undefined };
  }

  const range = evaluateRange(entry.size, headers, validators);
  if (range.kind === 'unsatisfiable') {
    return { status: 416, headers: ['Content-Range', `bytes */${entry.size}`, 'Content-Length', '0'], body: undefined };
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, entry.size - 1];
  const out = set.representation.slice();
  if (expires !== undefined) out.push('Expires', expires);
  out.push('Content-Length', String(end - start + 1));
  if (range.kind === 'partial') out.push('Content-Range', `bytes ${start}-${end}/${entry.size}`);
  const body = entry.body
    ? range.kind === 'partial' ? entry.body.subarray(start, end + 1) : entry.body
    : { path: entry.abs, start, end, size: entry.size, mtimeMs: entry.mtimeMs, ino: entry.ino };
  return { status: range.kind === 'partial' ? 206 : 200, headers: out, body };
}

/** Spec §2.3: a path is invalid when absolute or with an empty segment; dot segments never name a deployed file either. */
function isValidTarget(target: string): boolean {
  return target !== '' && target.charCodeAt(0) !== 0x2f && !target.endsWith('/') && !target.includes('//') && !DOT_SEGMENT.test(target);
}

/**
 * The header set of `entry` under `handler`, built on first use; null when this handler may not
 * serve it: a static_files file must match the handler's `upload` (what a deployment of this
 * handler contains), a static_dir file must be inside the directory.
 */
function headerSetFor(handler: StaticHandlerConfig, entry: FileEntry, ctx: ResolveContext): HeaderSet | null {
  let set = entry.headerSets[handler.index];
  if (set === undefined) {
    const servable = handler.type === 'static_dir' ? entry.path.startsWith(`${handler.static_dir}/`) : handler.uploadPattern.test(entry.path);
    set = servable ? buildHeaderSet(handler, entry, ctx.defaultExpiration, ctx.lastModified, ctx.varies) : null;
    entry.headerSets[handler.index] = set;
  }
  return set;
}
