import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import encodeUrl from 'encodeurl';
import { requestTarget } from '../envelope/request-target.js';

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/** The scheme the client used: appyaml's decision when the envelope made one, else the socket's. */
export function requestScheme(req: IncomingMessage): 'http' | 'https' {
  return req.appEngine?.scheme ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
}

/**
 * The request's own path and query, ready to follow a scheme and host in a Location: taken from
 * the target as the client sent it (Express's `originalUrl`, so a mount point is kept), with an
 * absolute-form authority dropped, leading slashes collapsed to one (CVE-2015-1164) and every
 * character a browser could read differently percent-encoded. Existing escapes are kept as sent,
 * so `/a%2Fb` stays `/a%2Fb`.
 */
export function redirectTarget(req: IncomingMessage): { path: string; query: string } {
  const url = requestTarget(req).replace(ABSOLUTE_FORM, '');
  const q = url.indexOf('?');
  const path = `/${(q < 0 ? url : url.slice(0, q)).replace(/^\/+/, '')}`;
  return { path: encodeForLocation(path), query: q < 0 ? '' : encodeForLocation(url.slice(q + 1)) };
}

/** `encodeurl` keeps `#` (it would start a fragment here) and `\` (browsers read it as `/`). */
function encodeForLocation(text: string): string {
  return encodeUrl(text).replace(/[#\\]/g, (c) => (c === '#' ? '%23' : '%5C'));
}
