/** HTTP-dates (RFC 9110 §5.6.7): strict parsing of the three legal forms, and formatting cached per second. */

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Milliseconds since the epoch for an HTTP-date, or undefined when the value is not exactly one
 * valid date. `Date.parse` is not used: it accepts far more than HTTP allows and reads asctime
 * dates in the local time zone.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(m[3]!, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(value);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
    let year = 2000 + Number(m[3]);
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
    return utc(String(year), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(value);
  if (m) return utc(m[6]!, m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(year: string, month: string, day: string, h: string, min: string, s: string): number | undefined {
  const mon = MONTHS[month];
  const d = Number(day);
  if (mon === undefined || d < 1 || d > 31 || Number(h) > 23 || Number(min) > 59 || Number(s) > 60) return undefined;
  const ms = Date.UTC(Number(year), mon, d, Number(h), Number(min), Number(s));
  // Rejects 31 Feb and the like, which Date.UTC would roll over into the next month.
  return new Date(ms).getUTCDate() === d ? ms : undefined;
}

/** IMF-fixdate for a time in milliseconds (`Tue, 02 Jan 1990 10:03:04 GMT`). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/**
 * `Expires` values for "now + N seconds", formatted once per second per distinct N: a server
 * answers many requests a second and only a handful of expirations exist.
 */
export class ExpiresClock {
  private second = -1;
  private readonly values = new Map<number, string>();

  /** The Expires value for `seconds` from `now` (milliseconds). */
  expires(now: number, seconds: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.values.clear();
    }
    let value = this.values.get(seconds);
    if (value === undefined) {
      value = formatHttpDate((second + seconds) * 1000);
      this.values.set(seconds, value);
    }
    return value;
  }
}
