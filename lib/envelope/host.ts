import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';

/**
 * Which hosts a request may name when appyaml builds an absolute URL from it (secure and login
 * redirects, the continue URL of the login page).
 */
export interface HostOptions {
  /**
   * Host names the app answers to, compared exactly and case-insensitively, ignoring the port
   * and a trailing dot (`['example.com', 'www.example.com']`). A request naming any other host
   * gets a 400 instead of a redirect. Default: every syntactically valid host, which is safe for
   * the client that sent it but lets a shared cache in front of the app store a redirect to
   * a host of the client's choosing; set it when such a cache exists.
   */
  allowedHosts?: readonly string[];
}

/** A Host header that passed validation. */
export interface ValidHost {
  /** Lower-case name or address; an IPv6 address keeps its brackets, as in WHATWG `URL.hostname`. */
  hostname: string;
  /** The port the client named, if any. */
  port: number | undefined;
  /** `hostname[:port]`, as it goes into an absolute URL that keeps the client's port. */
  authority: string;
}

/** The outcome of `checkHost`: the host, or why it cannot be used (the caller answers 400). */
export type HostCheck = { ok: true; host: ValidHost } | { ok: false; reason: string };

const LABEL = '[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?';
// Host names as browsers and DNS accept them (letters, digits, `-`, `_`), optionally ending in
// the root dot; anything else (`@`, `/`, `\`, spaces, `%`...) has no business in a Host header.
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`, 'i');
const PORT = /^[0-9]{1,5}$/;
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/**
 * Checks an allow-list once, at startup, so a typo (a port, a scheme, a wildcard) fails loudly
 * instead of silently refusing every request.
 */
export function assertAllowedHosts(allowedHosts: readonly string[] | undefined): void {
  for (const entry of allowedHosts ?? []) {
    const parsed = typeof entry === 'string' ? parseHost(entry) : undefined;
    if (!parsed || parsed.port !== undefined) {
      throw new TypeError(`allowedHosts: ${JSON.stringify(entry)} is not a host name (give names without scheme, port or wildcard)`);
    }
  }
}

/**
 * Validates the request's Host for building absolute URLs: exactly one Host header, non-empty,
 * a valid name or IP literal with an optional valid port, agreeing with an absolute-form request
 * target, and on the allow-list when there is one. `X-Forwarded-Host` is never used: a proxy that
 * rewrites Host should be told to pass it on (nginx `proxy_set_header Host $host`).
 */
export function checkHost(req: IncomingMessage, options: HostOptions = {}): HostCheck {
  const { allowedHosts } = options;
  // Node keeps only the first of several Host headers in req.headers; the raw list shows them all.
  let value: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 4 || raw[i]!.toLowerCase() !== 'host') continue;
    if (value !== undefined) return { ok: false, reason: 'more than one Host header' };
    value = raw[i + 1]!;
  }
  if (value === undefined) return { ok: false, reason: 'no Host header' };
  if (value === '') return { ok: false, reason: 'empty Host header' };
  const host = parseHost(value);
  if (!host) return { ok: false, reason: 'invalid Host header' };
  // RFC 9112 §3.2.2: an absolute-form target overrides Host; refuse the pair when they differ
  // rather than redirect to a host other than the one the request was routed for.
  const target = ABSOLUTE_FORM.exec(req.url ?? '');
  if (target && target[1]!.toLowerCase() !== value.toLowerCase()) {
    return { ok: false, reason: 'the request target names another host than the Host header' };
  }
  if (allowedHosts) {
    // Lists are short; comparing in place keeps this a plain function of its arguments.
    const name = comparable(host.hostname);
    if (!allowedHosts.some((entry) => comparable(entry.toLowerCase()) === name)) return { ok: false, reason: 'host not allowed' };
  }
  return { ok: true, host };
}

/** Parses `name[:port]` or `[v6][:port]`; undefined when either part is invalid. */
function parseHost(value: string): ValidHost | undefined {
  let hostname: string;
  let rest: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    const address = value.slice(1, end);
    // No zone ids (`%25eth0`, which isIPv6 accepts): they mean nothing beyond the client's machine.
    if (end < 0 || !/^[0-9a-f:.]+$/i.test(address) || !isIPv6(address)) return undefined;
    hostname = value.slice(0, end + 1).toLowerCase();
    rest = value.slice(end + 1);
  } else {
    const colon = value.indexOf(':');
    hostname = (colon < 0 ? value : value.slice(0, colon)).toLowerCase();
    rest = colon < 0 ? '' : value.slice(colon);
    // IPv4 literals are dotted digit labels, which the name syntax covers.
    if (hostname.length > 254 || !HOST_NAME.test(hostname)) return undefined;
  }
  let port: number | undefined;
  if (rest !== '') {
    const digits = rest.slice(1);
    if (rest[0] !== ':' || !PORT.test(digits)) return undefined;
    port = Number(digits);
    if (port < 1 || port > 65535) return undefined;
  }
  return { hostname, port, authority: port === undefined ? hostname : `${hostname}:${port}` };
}

function comparable(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}
