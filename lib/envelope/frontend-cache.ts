import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Encoding } from './compression.js';
import { requestTarget } from './request-target.js';
import { listValues, type AppResponse } from './response-rules.js';

/** Options of the frontend (edge) cache. */
export interface FrontendCacheOptions {
  /**
   * Bytes the cache may hold: bodies, headers and their compressed copies. The least recently used
   * entries go first; a response larger than an eighth of this is not stored, so that one cannot
   * flush the rest. Default 32 MiB.
   */
  maxSize?: number;
}

/** A stored response: the identity bytes, and the compressed copies made on the way out. */
export interface CacheEntry {
  readonly key: string;
  readonly response: AppResponse;
  readonly storedAt: number;
  readonly expiresAt: number;
  /** Bytes counted against `maxSize`; grows as compressed copies are added. */
  size: number;
  /** Promises, so that concurrent hits compress once. */
  readonly encoded: Map<Encoding, Promise<Buffer>>;
}

export const DEFAULT_FRONTEND_CACHE_SIZE = 32 * 1024 * 1024;

/** RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31. */
const MAX_DELTA_SECONDS = 2_147_483_648;
/** The Vary fields the Google Frontend caches under (spec §3.8); any other disables caching. */
const CACHEABLE_VARY = new Set(['accept', 'accept-encoding', 'origin', 'x-origin']);
// `token [ "=" ( token / quoted-string ) ]` (RFC 9111 §5.2); anything else makes the whole field malformed.
const DIRECTIVE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:=([!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[^"\\]|\\.)*"))?$/;
/** Rough per-entry bookkeeping, so that many tiny entries still count. */
const ENTRY_OVERHEAD = 256;

/**
 * How long the Google Frontend would keep a response, in seconds, or undefined when it would
 * not store it at all (spec §3.8): `Cache-Control` must be well formed, say `public`, and give a
 * positive whole `s-maxage` (which wins, as for any shared cache) or `max-age`; `private`,
 * `no-cache` or `no-store` (in any form), `Set-Cookie`, or a Vary naming anything but Accept,
 * Accept-Encoding, Origin and X-Origin rule it out. Malformed values are not guessed at:
 * `max-age=3600.0`, `max-age="60"` and `Public; max-age=300` are never stored, as field
 * reports describe.
 */
export function cacheLifetime(headers: ReadonlyArray<readonly [string, string]>): number | undefined {
  if (headers.some(([name]) => name.toLowerCase() === 'set-cookie')) return undefined;
  if (!listValues(headers, 'vary').every((field) => CACHEABLE_VARY.has(field.toLowerCase()))) return undefined;
  const directives = new Map<string, string[]>();
  for (const item of listValues(headers, 'cache-control')) {
    const m = DIRECTIVE.exec(item);
    if (!m) return undefined;
    const name = m[1]!.toLowerCase();
    directives.set(name, [...(directives.get(name) ?? []), m[2] ?? '']);
  }
  if (!directives.has('public') || directives.has('private') || directives.has('no-cache') || directives.has('no-store')) return undefined;
  const values = directives.get('s-maxage') ?? directives.get('max-age');
  // Conflicting repeats are as good as malformed (RFC 9111 §4.2.1).
  if (!values || new Set(values).size !== 1 || !/^\d+$/.test(values[0]!)) return undefined;
  const seconds = Math.min(Number(values[0]), MAX_DELTA_SECONDS);
  return seconds > 0 ? seconds : undefined;
}

/** The cache key of a request: scheme, host and the target as sent (path and query). */
export function cacheKey(req: IncomingMessage): string {
  const scheme = req.appEngine?.scheme ?? ('encrypted' in req.socket ? 'https' : 'http');
  return `${scheme}://${(req.headers.host ?? '').toLowerCase()}${requestTarget(req) || '/'}`;
}

/** A URL given to `purge`, keyed like requests: scheme and host lower-cased, the rest as given. */
function keyOfUrl(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!m) return undefined;
  const target = m[3] === '' ? '/' : m[3]!;
  return `${m[1]!.toLowerCase()}://${m[2]!.toLowerCase()}${target.startsWith('?') ? `/${target}` : target}`;
}

/**
 * An in-memory, size-bounded (LRU, in bytes) stand-in for the Google Frontend's cache, keyed by
 * the full URL alone. One entry serves every client: the identity bytes are stored, and each
 * encoding is made from them once, on the first hit that needs it, and kept with the entry.
 */
export class FrontendCache {
  private readonly lru: LRUCache<string, CacheEntry>;
  /** Bytes one entry may take; a streamed body is copied for the cache only up to this. */
  readonly maxEntry: number;

  constructor(options: FrontendCacheOptions = {}) {
    const maxSize = options.maxSize ?? DEFAULT_FRONTEND_CACHE_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new TypeError(`frontendCache: maxSize must be a positive whole number of bytes, got ${String(maxSize)}`);
    this.maxEntry = Math.floor(maxSize / 8);
    this.lru = new LRUCache<string, CacheEntry>({ maxSize, sizeCalculation: (entry) => entry.size });
  }

  /**
   * The fresh entry for a request, if any. Only GET and HEAD are answered from the cache; never a
   * request with `Authorization` (spec §3.8), nor one with `Range` (ranges go to the handler).
   */
  lookup(req: IncomingMessage, now: number): CacheEntry | undefined {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization !== undefined || req.headers.range !== undefined) return undefined;
    const key = cacheKey(req);
    const entry = this.lru.get(key);
    if (entry && entry.expiresAt <= now) {
      this.lru.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Stores the identity response to a GET when the Google Frontend would: a 200 that
   * `cacheLifetime` accepts, to a request without `Authorization` (which a cache may store when
   * public, but a personalised page marked public is a common slip; not storing it is the safe
   * side). Returns whether it stored.
   */
  store(req: IncomingMessage, response: AppResponse, now: number): boolean {
    if (req.method !== 'GET' || req.headers.authorization !== undefined || response.status !== 200) return false;
    const seconds = cacheLifetime(response.headers);
    if (seconds === undefined) return false;
    const size = ENTRY_OVERHEAD + response.body.length + response.headers.reduce((n, [name, value]) => n + name.length + value.length, 0);
    if (size > this.maxEntry) return false;
    const key = cacheKey(req);
    this.lru.set(key, { key, response, storedAt: now, expiresAt: now + seconds * 1000, size, encoded: new Map() });
    return true;
  }

  /** The entry's body in `encoding`, made by `encode` on first use and then counted in its size. */
  encoded(entry: CacheEntry, encoding: Encoding, encode: (body: Buffer) => Promise<Buffer>): Promise<Buffer> {
    let made = entry.encoded.get(encoding);
    if (!made) {
      made = encode(entry.response.body);
      entry.encoded.set(encoding, made);
      made.then(
        (bytes) => {
          entry.size += bytes.length;
          // lru-cache sizes an entry when it is set, and keeps that size for the same value set
          // again: deleting first makes it count the copy (and evict others if need be).
          if (this.lru.peek(entry.key) === entry) {
            this.lru.delete(entry.key);
            this.lru.set(entry.key, entry);
          }
        },
        () => entry.encoded.delete(encoding),
      );
    }
    return made;
  }

  /** Drops the entry of one URL (`https://host/path?query`), or every entry; returns how many went. */
  purge(url?: string): number {
    if (url === undefined) {
      const count = this.lru.size;
      this.lru.clear();
      return count;
    }
    const key = keyOfUrl(url);
    return key !== undefined && this.lru.delete(key) ? 1 : 0;
  }

  /** Bytes held, as counted against `maxSize`. */
  get size(): number {
    return this.lru.calculatedSize;
  }
}
