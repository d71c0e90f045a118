import type { IncomingHttpHeaders } from 'node:http';
import { ifRangeHolds, type Validators } from './conditional.js';

/** More ranges than this in one header and the whole file is sent (Apache's CVE-2011-3192 lesson). */
export const MAX_RANGES = 100;

/** How much of the file to send. `end` is inclusive, as in Content-Range. */
export type RangeDecision = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const FULL: RangeDecision = Object.freeze({ kind: 'full' });
const UNSATISFIABLE: RangeDecision = Object.freeze({ kind: 'unsatisfiable' });
const RANGE_SPEC = /^[ \t]*(\d*)-(\d*)[ \t]*$/;

/**
 * RFC 9110 §14 for a representation of `size` bytes:
 * - no Range, a unit other than `bytes`, invalid syntax, a false If-Range, more than
 *   MAX_RANGES ranges, or an empty file → the whole file (ignoring Range is always allowed);
 * - no satisfiable range → 416;
 * - ranges that overlap or touch are combined; if one range remains it is sent as 206;
 *   disjoint ranges are answered with the whole file, not multipart/byteranges (like send).
 * Suffix ranges longer than the file mean the whole file (`bytes=-500` of 100 bytes is 0-99).
 */
export function evaluateRange(size: number, headers: IncomingHttpHeaders, validators: Validators): RangeDecision {
  const field = headers.range;
  if (field === undefined || size === 0) return FULL;
  // Node joins repeated headers into one string except for a few names; the type also allows arrays.
  const ifRange = headers['if-range'];
  if (ifRange !== undefined && !ifRangeHolds(String(ifRange), validators)) return FULL;
  const ranges = parseByteRanges(size, field);
  if (ranges === 'ignore') return FULL;
  if (ranges.length === 0) return UNSATISFIABLE;
  const combined = combine(ranges);
  return combined.length === 1 ? { kind: 'partial', start: combined[0]![0], end: combined[0]![1] } : FULL;
}

/** The satisfiable ranges as [start, end] pairs, or 'ignore' when the header is not a valid bytes range set. */
function parseByteRanges(size: number, field: string): Array<[number, number]> | 'ignore' {
  const eq = field.indexOf('=');
  if (eq === -1 || field.slice(0, eq).trim().toLowerCase() !== 'bytes') return 'ignore';
  const specs = field.slice(eq + 1).split(',');
  if (specs.length > MAX_RANGES) return 'ignore';
  const ranges: Array<[number, number]> = [];
  let seen = 0;
  for (const spec of specs) {
    if (spec.trim() === '') continue;
    const m = RANGE_SPEC.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return 'ignore';
    seen++;
    if (m[1] === '') {
      const suffix = Number(m[2]);
      if (suffix > 0) ranges.push([Math.max(0, size - suffix), size - 1]);
      continue;
    }
    const start = Number(m[1]);
    const end = m[2] === '' ? Infinity : Number(m[2]);
    if (end < start) return 'ignore';
    if (start < size) ranges.push([start, Math.min(end, size - 1)]);
  }
  return seen === 0 ? 'ignore' : ranges;
}

function combine(ranges: Array<[number, number]>): Array<[number, number]> {
  if (ranges.length === 1) return ranges;
  const sorted = ranges.slice().sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [sorted[0]!];
  for (let i = 1; i < sorted.length; i++) {
    const last = out[out.length - 1]!;
    const [start, end] = sorted[i]!;
    if (start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}
