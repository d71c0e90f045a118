import type { IncomingHttpHeaders } from 'node:http';
import { parseHttpDate } from './http-date.js';

/** What the preconditions of a request decide, before ranges. */
export type Precondition = 'proceed' | 'precondition-failed' | 'not-modified';

/** The validators of the representation a request is about. */
export interface Validators {
  /** As sent in the ETag header (quoted; `W/` when weak). */
  etag: string;
  /** Last-Modified in milliseconds (whole seconds), or undefined when none is sent: dates are then not evaluated. */
  lastModified: number | undefined;
}

/**
 * RFC 9110 §13.2.2, for a representation that exists and a request treated as GET:
 * 1. If-Match (strong comparison, lists, `*`) false → 412; else, without If-Match,
 *    If-Unmodified-Since earlier than Last-Modified → 412;
 * 2. If-None-Match (weak comparison, lists, `*`) true → 304; else, without If-None-Match,
 *    If-Modified-Since (valid and not in the future) at or after Last-Modified → 304.
 * Invalid dates are ignored, as the RFC requires.
 */
export function evaluatePreconditions(headers: IncomingHttpHeaders, validators: Validators, now: number): Precondition {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (!listMatches(ifMatch, validators.etag, true)) return 'precondition-failed';
  } else if (validators.lastModified !== undefined) {
    const since = parseHttpDate(headers['if-unmodified-since']);
    if (since !== undefined && validators.lastModified > since) return 'precondition-failed';
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) return listMatches(ifNoneMatch, validators.etag, false) ? 'not-modified' : 'proceed';
  if (validators.lastModified !== undefined) {
    const since = parseHttpDate(headers['if-modified-since']);
    if (since !== undefined && since <= now && validators.lastModified <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * If-Range (RFC 9110 §13.1.5): an entity-tag must match strongly; a date must equal
 * Last-Modified exactly. Anything else, or a date when no Last-Modified is sent, is false.
 */
export function ifRangeHolds(value: string, validators: Validators): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) {
    const tag = parseEntityTag(trimmed);
    return tag !== undefined && tag.end === trimmed.length && strongMatch(tag, validators.etag);
  }
  const date = parseHttpDate(trimmed);
  return date !== undefined && validators.lastModified !== undefined && date === validators.lastModified;
}

interface EntityTag {
  weak: boolean;
  opaque: string;
  /** Offset just after the tag in the string it was read from. */
  end: number;
}

const ENTITY_TAG = /(W\/)?("[\x21\x23-\x7e\x80-\xff]*")/y;

function parseEntityTag(text: string, at = 0): EntityTag | undefined {
  ENTITY_TAG.lastIndex = at;
  const m = ENTITY_TAG.exec(text);
  return m ? { weak: m[1] !== undefined, opaque: m[2]!, end: ENTITY_TAG.lastIndex } : undefined;
}

/** The current tag; a handler's own ETag from http_headers might not be quoted, and is then taken whole. */
function currentTag(etag: string): EntityTag {
  const tag = parseEntityTag(etag);
  return tag && tag.end === etag.length ? tag : { weak: false, opaque: etag, end: etag.length };
}

function strongMatch(tag: EntityTag, etag: string): boolean {
  const current = currentTag(etag);
  return !tag.weak && !current.weak && tag.opaque === current.opaque;
}

/**
 * Whether a `*` or a comma-separated entity-tag list (empty elements allowed) contains the
 * current tag. A list that stops parsing part-way counts only the tags read before that.
 */
function listMatches(field: string, etag: string, strong: boolean): boolean {
  if (field === etag) return !strong || !currentTag(etag).weak;
  if (field.trim() === '*') return true;
  const current = currentTag(etag);
  for (let i = 0; i < field.length; ) {
    const c = field.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c /* , */) {
      i++;
      continue;
    }
    const tag = parseEntityTag(field, i);
    if (!tag) return false;
    if (tag.opaque === current.opaque && (!strong || (!tag.weak && !current.weak))) return true;
    i = tag.end;
  }
  return false;
}
