/**
 * The request path, decoded exactly once (security.md §0 rule 1) and normalised the way App
 * Engine's frontend does (app-engine.md §2.1). Everything after this works on `path` only: the
 * handler regexes and the file lookup see the same string, and nothing decodes it again.
 */

/** Longest request path accepted by default, in bytes (the raw, still-encoded path). */
export const DEFAULT_MAX_PATH_LENGTH = 8192;

/** What to do with a request target. */
export type RequestPath =
  /** `path` is percent-decoded, without the query; `query` is raw, without the `?` ('' when absent). */
  | { kind: 'ok'; path: string; query: string }
  /** 400: malformed or hostile encoding; 414: the path is longer than allowed. */
  | { kind: 'reject'; status: 400 | 414 }
  /** 302 to the path with literal `.`/`..` segments resolved; a relative reference, query kept. */
  | { kind: 'redirect'; location: string };

const BAD_REQUEST: RequestPath = Object.freeze({ kind: 'reject', status: 400 });
const URI_TOO_LONG: RequestPath = Object.freeze({ kind: 'reject', status: 414 });

const ENCODED_SLASH = /%2f/i;
/** A segment that decodes to `.` or `..` with at least one `%2e` in it (the literal forms are handled apart). */
const ENCODED_DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
/** `http://host` or `https://host` before the path in an absolute-form request target. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/;
/** Characters left as they are in a Location we build: RFC 3986 pchar plus `/`, and `%` of existing escapes. */
const UNSAFE_IN_LOCATION = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%?]/g;

/**
 * Decodes a raw request target (`req.url` as received, before any framework rewrote it).
 *
 * - 414 when the raw path is longer than `maxPathLength`, before anything else looks at it;
 * - 400 for raw bytes outside visible ASCII, a backslash (raw or `%5C`), NUL or another control
 *   character (raw or encoded), malformed percent-encoding or invalid UTF-8 (overlong `%c0%ae`…),
 *   an encoded slash `%2F`, an encoded dot segment (`%2e`, `.%2E`, `%2e%2e`), or a target that is
 *   neither origin-form (`/…`) nor absolute-form (`http://host/…`), such as `*`;
 * - 302 for a literal `.` or `..` segment, to the normalised path with the query kept (App Engine
 *   does this; repeated slashes are kept, but the Location never starts with `//`, which a browser
 *   would read as another host);
 * - otherwise the decoded path and the raw query.
 */
export function decodeRequestPath(target: string, maxPathLength = DEFAULT_MAX_PATH_LENGTH): RequestPath {
  let url = target;
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    const authority = ABSOLUTE_FORM.exec(url);
    if (!authority) return BAD_REQUEST;
    url = url.slice(authority[0].length);
    if (url.charCodeAt(0) !== 0x2f) url = `/${url}`;
  }
  const q = url.indexOf('?');
  const raw = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (raw.length > maxPathLength) return URI_TOO_LONG;

  let percent = false;
  let dot = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */) percent = true;
    else if (c === 0x2e /* . */) dot = true;
    else if (c <= 0x20 || c >= 0x7f || c === 0x5c /* \ */) return BAD_REQUEST;
  }
  // The common case: nothing to decode and no segment that could be a dot segment.
  if (!percent && !dot) return { kind: 'ok', path: raw, query };

  let path = raw;
  if (percent) {
    if (ENCODED_SLASH.test(raw)) return BAD_REQUEST;
    try {
      path = decodeURIComponent(raw);
    } catch {
      return BAD_REQUEST;
    }
    if (hasControlOrBackslash(path)) return BAD_REQUEST;
  }

  const segments = raw.split('/');
  let literalDots = false;
  for (const segment of segments) {
    if (segment === '.' || segment === '..') literalDots = true;
    else if (percent && ENCODED_DOT_SEGMENT.test(segment)) return BAD_REQUEST;
  }
  if (!literalDots) return { kind: 'ok', path, query };
  const location = safeLocation(removeDotSegments(segments));
  return { kind: 'redirect', location: q === -1 ? location : `${location}?${query.replace(UNSAFE_IN_LOCATION, escapeChar)}` };
}

/** NUL (rule 1), the rest of C0 and DEL, which no file name needs, and `\` (a separator on Windows). */
function hasControlOrBackslash(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/**
 * RFC 3986 §5.2.4 on a split absolute path: `.` is dropped, `..` drops the segment before it, a
 * dot segment at the end leaves a trailing slash. Other segments, empty ones included, stay.
 */
function removeDotSegments(segments: string[]): string {
  const out: string[] = [];
  // segments[0] is the empty string before the leading '/'.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/** A path-absolute reference a browser cannot read as another host, with stray characters escaped. */
function safeLocation(path: string): string {
  return path.replace(/^\/{2,}/, '/').replace(UNSAFE_IN_LOCATION, escapeChar);
}

function escapeChar(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}
