import type { StaticHandlerConfig } from '../../config/types.js';
import type { FileEntry } from './file-index.js';
import { addVary } from '../../envelope/response-rules.js';
import { formatHttpDate } from './http-date.js';

/** Whether the frontend compresses responses with these headers for some clients; they then carry `Vary: Accept-Encoding`. */
export type VariesByEncoding = (headers: ReadonlyArray<readonly [string, string]>) => boolean;

const neverVaries: VariesByEncoding = () => false;

/** App Engine production's expiration when neither `expiration` nor `default_expiration` is set (spec §3.1). */
export const DEFAULT_EXPIRATION_SECONDS = 600;

/**
 * Everything about one file served by one handler that does not change between requests, as
 * flat `[name, value, name, value…]` lists for `res.writeHead`. Only `Expires` (moves with the
 * clock), `Content-Length` and `Content-Range` (depend on the range) are added per request.
 */
export interface HeaderSet {
  /** The validator clients get and send back: ours, or the handler's `ETag` from http_headers. */
  readonly etag: string;
  /** Last-Modified in whole-second milliseconds, when sent (option `lastModified`). */
  readonly lastModified: number | undefined;
  /** Seconds for `Expires: now + N`; undefined when http_headers sets Expires itself. */
  readonly expiresIn: number | undefined;
  /** For 200 and 206. */
  readonly representation: readonly string[];
  /** For 304: cache metadata and the handler's own headers, no Content-* (RFC 9110 §15.4.5). */
  readonly notModified: readonly string[];
  /** For 412: the current ETag, so that the client can tell what it is out of date with. */
  readonly preconditionFailed: readonly string[];
}

/**
 * Builds the header set for `entry` served by `handler` (spec §3.2): Content-Type from
 * `mime_type` or the extension; `Cache-Control: public, max-age=N` and `Expires` from
 * `expiration`, else `default_expiration`, else 600 s; the content ETag; `http_headers` appended
 * in file order, replacing the default of the same name for Content-Type, ETag, Expires and
 * Cache-Control.
 */
export function buildHeaderSet(
  handler: StaticHandlerConfig,
  entry: FileEntry,
  defaultExpiration: number | undefined,
  lastModified: boolean,
  varies: VariesByEncoding = neverVaries,
): HeaderSet {
  const seconds = handler.expiration ?? defaultExpiration ?? DEFAULT_EXPIRATION_SECONDS;
  const own = new Map(handler.http_headers.map(([name, value]) => [name.toLowerCase(), value]));
  const defaults: Array<[string, string]> = [];
  if (!own.has('content-type')) defaults.push(['Content-Type', handler.mime_type ?? entry.type]);
  if (!own.has('cache-control')) defaults.push(['Cache-Control', `public, max-age=${seconds}`]);
  if (!own.has('etag')) defaults.push(['ETag', entry.etag]);
  const modified = lastModified && !own.has('last-modified') ? Math.floor(entry.mtimeMs / 1000) * 1000 : undefined;
  if (modified !== undefined) defaults.push(['Last-Modified', formatHttpDate(modified)]);

  let pairs = [...defaults, ...handler.http_headers];
  // Known per file: whether the frontend compresses this type (so every answer names Vary).
  if (varies(pairs)) pairs = addVary(pairs, 'Accept-Encoding');
  const representation = [...pairs.slice(0, defaults.length), ['Accept-Ranges', 'bytes'], ...pairs.slice(defaults.length)].flat();
  const notModified = pairs
    .filter(([name]) => {
      const lower = name.toLowerCase();
      return !lower.startsWith('content-') && lower !== 'last-modified';
    })
    .flat();
  const etag = own.get('etag') ?? entry.etag;
  return {
    etag,
    lastModified: modified,
    expiresIn: own.has('expires') ? undefined : seconds,
    representation,
    notModified,
    preconditionFailed: ['ETag', etag],
  };
}
