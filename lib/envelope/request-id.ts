import { randomFillSync } from 'node:crypto';
import CRC32 from 'crc-32';
import type { TraceContext } from './context.js';

// Random bytes are drawn from a pooled buffer (as Node's randomUUID does): one syscall per 4 KiB
// instead of one per request.
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;

function randomBytes(n: number): number {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += n;
  return start;
}

function randomHex(n: number): string {
  const start = randomBytes(n);
  return pool.toString('hex', start, start + n);
}

/**
 * A new request log id in App Engine's shape: long lower-case hex that sorts by time (8 digits of
 * Unix seconds, 6 of microseconds), then 18 random digits so ids never collide across processes.
 */
export function newRequestLogId(): string {
  const now = performance.timeOrigin + performance.now();
  const seconds = Math.floor(now / 1000);
  const micros = Math.floor((now - seconds * 1000) * 1000);
  return seconds.toString(16).padStart(8, '0') + micros.toString(16).padStart(6, '0') + randomHex(9);
}

/** `REQUEST_ID_HASH`: `'%08X' % (crc32(log id) & 0xffffffff)`, as App Engine's Python runtime computes it. */
export function requestIdHash(requestLogId: string): string {
  return (CRC32.bstr(requestLogId) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

const TRACE_CONTEXT = /^([0-9a-fA-F]{32})\/([0-9]{1,20})(?:;o=([0-9]{1,2}))?$/;
const ZERO_TRACE = '0'.repeat(32);
const MAX_SPAN = 0xffffffffffffffffn;

/** Parses an `X-Cloud-Trace-Context` value; undefined unless it is well-formed with non-zero ids. */
export function parseTraceContext(value: string | undefined): TraceContext | undefined {
  if (value === undefined) return undefined;
  const m = TRACE_CONTEXT.exec(value.trim());
  if (!m) return undefined;
  const traceId = m[1]!.toLowerCase();
  const span = BigInt(m[2]!);
  if (traceId === ZERO_TRACE || span === 0n || span > MAX_SPAN) return undefined;
  return { traceId, spanId: span.toString(), sampled: m[3] !== undefined && (Number(m[3]) & 1) === 1 };
}

/** A fresh trace context: random 128-bit trace id and 64-bit span id, recorded (`o=1`). */
export function newTraceContext(): TraceContext {
  let traceId = randomHex(16);
  while (traceId === ZERO_TRACE) traceId = randomHex(16);
  let span = 0n;
  while (span === 0n) span = pool.readBigUInt64BE(randomBytes(8));
  return { traceId, spanId: span.toString(), sampled: true };
}

/** The header value for a trace context. */
export function formatTraceContext(trace: TraceContext): string {
  return `${trace.traceId}/${trace.spanId};o=${trace.sampled ? 1 : 0}`;
}

/** The span id as Cloud Logging's `logging.googleapis.com/spanId` wants it: 16 hex digits. */
export function spanIdHex(trace: TraceContext): string {
  return BigInt(trace.spanId).toString(16).padStart(16, '0');
}
