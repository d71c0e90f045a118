/** Validation of a static handler's `http_headers` (SDK `HttpHeadersDict`, spec §1.4). */

import { HEADER_NAME, PRINTABLE_ASCII } from '../header-syntax.js';
export const MAX_HTTP_HEADERS = 500;

const DISALLOWED = new Set([
  // request-only headers
  'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'authorization', 'expect', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'max-forwards',
  'proxy-authorization', 'range', 'referer', 'te', 'user-agent',
  // hop-by-hop headers
  'connection', 'keep-alive', 'proxy-authenticate', 'trailers', 'transfer-encoding', 'upgrade',
  // set by the frontend only
  'content-encoding', 'content-length', 'date', 'server',
]);

const VALUE_CAPS: Record<string, number> = {
  'content-security-policy': 10240,
  'x-content-security-policy': 10240,
  'x-webkit-csp': 10240,
  'content-security-policy-report-only': 10240,
  'set-cookie': 4096,
  'set-cookie2': 4096,
  location: 2047,
};

/** Why a header may not be set by http_headers, or undefined when it may. */
export function httpHeaderProblem(name: string, value: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name`;
  const lower = name.toLowerCase();
  if (lower.startsWith('x-appengine')) return `"${name}" is reserved for App Engine`;
  if (DISALLOWED.has(lower)) return `"${name}" cannot be set in http_headers`;
  if (!PRINTABLE_ASCII.test(value)) return `the value of "${name}" must be printable ASCII`;
  const cap = VALUE_CAPS[lower];
  if (cap !== undefined) {
    if (value.length > cap) return `the value of "${name}" is longer than ${cap} characters`;
  } else if (`${name}: ${value}\r\n`.length >= 500) {
    return `"${name}: ${value.slice(0, 20)}…" is longer than 500 characters`;
  }
  return undefined;
}
