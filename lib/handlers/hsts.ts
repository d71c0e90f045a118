import type { ServerResponse } from 'node:http';
import onHeaders from 'on-headers';
import { requestScheme } from './location.js';
import type { Middleware } from './response.js';

/** `Strict-Transport-Security` settings (RFC 6797). */
export interface HstsOptions {
  /** Seconds browsers keep to https for this host; 0 tells them to forget it. Default: one year. */
  maxAge?: number;
  /**
   * Extend the rule to every subdomain. Default: false, because it also binds subdomains served
   * by other apps, which may not have https yet.
   */
  includeSubDomains?: boolean;
  /**
   * Ask to be put on the browsers' preload lists (hstspreload.org); requires `includeSubDomains`
   * and a `maxAge` of at least one year. Leaving the list is slow, so this is never a default.
   */
  preload?: boolean;
}

/** One year, in seconds: the default max-age and the minimum the preload lists accept. */
export const HSTS_ONE_YEAR = 31_536_000;

const HEADER = 'Strict-Transport-Security';

/** The header value for these options; throws a TypeError for settings browsers would reject. */
export function hstsHeaderValue(options: HstsOptions = {}): string {
  const { maxAge = HSTS_ONE_YEAR, includeSubDomains = false, preload = false } = options;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw new TypeError(`hsts: maxAge must be a whole number of seconds, not ${String(maxAge)}`);
  if (preload && (!includeSubDomains || maxAge < HSTS_ONE_YEAR)) {
    throw new TypeError(`hsts: preload requires includeSubDomains and a maxAge of at least ${HSTS_ONE_YEAR} seconds (one year)`);
  }
  return `max-age=${maxAge}${includeSubDomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}

/**
 * Adds `Strict-Transport-Security` to responses sent over https, never over http (RFC 6797
 * §7.2: a browser ignores it there, and a network attacker could forge it). The scheme is read
 * when the headers are written, so the part can go anywhere before the response starts; a
 * header already set by then (a static handler's `http_headers`, or the app) is left alone.
 * App Engine adds none (app-engine.md §3.9), so appYaml has it off unless asked.
 */
export function hsts(options: HstsOptions = {}): Middleware {
  const value = hstsHeaderValue(options);
  return (req, res, next) => {
    onHeaders(res, function (this: ServerResponse) {
      if (requestScheme(req) === 'https' && !this.hasHeader(HEADER)) this.setHeader(HEADER, value);
    });
    next();
  };
}
