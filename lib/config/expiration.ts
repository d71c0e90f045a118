/**
 * App Engine's `expiration` grammar (SDK `_EXPIRATION_REGEX`): whitespace-separated tokens of
 * digits with an optional unit d/h/m/s (any case, `m` is minutes); repeated tokens add up.
 * The `ms` package is not used: it accepts decimals, weeks, years and long unit names, all of
 * which App Engine rejects, so four multipliers state the rule more exactly.
 */
const TOKEN = /^(\d+)([DdHhMmSs]?)$/;
const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1, '': 1 };

/** The largest max-age a cache is required to understand (RFC 9111 §1.2.2, 2^31 - 1 seconds). */
export const MAX_EXPIRATION_SECONDS = 2 ** 31 - 1;

export class ExpirationError extends Error {}

/** Seconds for an expiration string or YAML integer; throws ExpirationError with a reason. */
export function parseExpiration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new ExpirationError(`"${value}" is not a valid expiration: use whole seconds or units like "4d 5h"`);
    value = String(value);
  }
  const tokens = value.trim().split(/\s+/);
  if (tokens.length === 1 && tokens[0] === '') throw new ExpirationError('an empty expiration is not valid; use e.g. "1d 2h" or "0"');
  let seconds = 0;
  for (const token of tokens) {
    const m = TOKEN.exec(token);
    if (!m) {
      throw new ExpirationError(
        `"${value}" is not a valid expiration: each part is a whole number with an optional unit d, h, m or s, separated by spaces (e.g. "1d 2h")`,
      );
    }
    seconds += Number(m[1]) * UNIT_SECONDS[m[2]!.toLowerCase()]!;
  }
  if (seconds > MAX_EXPIRATION_SECONDS) throw new ExpirationError(`"${value}" is longer than ${MAX_EXPIRATION_SECONDS} seconds (about 68 years)`);
  return seconds;
}
