import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AppResponse } from './response-rules.js';

/** Where a tapped response goes once its shape is known; one sink serves every request. */
export interface TapSink {
  /** The whole response: buffered, or ended in one call before any body was streamed. */
  complete(tap: Tap, response: AppResponse): void;
  /** Streaming mode, at the first body write (or flushHeaders): the head; returns where the body goes. */
  stream(tap: Tap, status: number, headers: Array<[string, string]>): BodyTarget;
  /** Buffering mode: the body went over the limit (the app's further writes are dropped). */
  overflow(tap: Tap): void;
}

/** The rest of a streamed body. */
export interface BodyTarget {
  /** Returns false to ask the writer to wait for `drain` on the response. */
  write(chunk: Buffer): boolean;
  end(): void;
}

export interface TapOptions {
  /** Keep the whole response until it ends (App Engine's way), or stream it from the first write. */
  buffer: boolean;
  /** Body bytes allowed when buffering; streaming targets enforce their own. */
  limit: number;
}

/** Writes a response for real, past any tap. */
export interface NativeResponse {
  /** Sends the head with exactly these headers, repeated names kept (the store must be empty). */
  writeHead(status: number, headers: ReadonlyArray<readonly [string, string]>): void;
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): void;
}

type Callback = (err?: Error | null) => void;
type Method = (...args: never[]) => unknown;

/** The methods a tap replaces, as they were before (Node's, or another wrapper such as on-headers'). */
interface Saved {
  writeHead: Method;
  write: Method;
  end: Method;
  flushHeaders: Method;
  setHeader: Method;
  appendHeader: Method;
  removeHeader: Method;
}

const taps = new WeakMap<ServerResponse, Tap>();

/**
 * Runs `write`, a frontend answer (error page, 413, deadline), with the response's real methods,
 * discarding what the app had written to a tapped response and dropping what it writes later. A
 * buffered response has not reached the client, so the frontend can still answer in full.
 * Without a tap it just runs `write`.
 */
export function frontendAnswer(res: ServerResponse, write: () => void): void {
  const tap = taps.get(res);
  if (!tap || tap.bypass) return write();
  tap.detach();
  tap.bypass = true;
  try {
    write();
  } finally {
    tap.bypass = false;
  }
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  // The same object, not a view of it: compressed copies of static bodies are keyed by it.
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // What Node's own write() throws for anything else.
  throw Object.assign(new TypeError('The "chunk" argument must be of type string or an instance of Buffer or Uint8Array'), { code: 'ERR_INVALID_ARG_TYPE' });
}

/**
 * `writeHead(status, [reason], [headers])` folded into the header store, as Node does when
 * headers were set before; repeated names in a flat list are all kept (Node 20 itself keeps only
 * the last of them in that case, later versions all).
 */
function mergeHeaders(res: ServerResponse, headers: OutgoingHttpHeaders | readonly unknown[] | undefined): void {
  if (!headers) return;
  if (!Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value as string | number | string[]);
  } else if (Array.isArray(headers[0])) {
    for (const [name, value] of headers as Array<[string, string]>) res.setHeader(name, value);
  } else {
    // A flat list may repeat names on purpose (Set-Cookie): replace the earlier ones, keep these.
    for (let i = 0; i < headers.length; i += 2) res.removeHeader(String(headers[i]));
    for (let i = 0; i < headers.length; i += 2) res.appendHeader(String(headers[i]), headers[i + 1] as string);
  }
}

/**
 * Empties the header store before the frontend writes its own set. Removing `Date`,
 * `Connection`, `Content-Length` or `Transfer-Encoding` also tells Node not to generate them
 * (no Date, no keep-alive header, no chunking: a streamed body would end by closing the
 * connection); the frontend wants Node's framing back, so those switches are reset.
 */
export function clearResponseHeaders(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const switches = res as ServerResponse & Record<'_removedConnection' | '_removedContLen' | '_removedTE', boolean>;
  switches.sendDate = true;
  switches._removedConnection = false;
  switches._removedContLen = false;
  switches._removedTE = false;
}

/** The header store as an ordered list, names as the app wrote them, after `first`. */
function storedHeaders(res: ServerResponse, first: Array<[string, string]> = []): Array<[string, string]> {
  const out = first;
  // Node ≥ 15.13 has getRawHeaderNames (the names as set); @types/node 20 does not list it.
  for (const name of (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames()) {
    const value = res.getHeader(name);
    if (Array.isArray(value)) for (const item of value) out.push([name, String(item)]);
    else if (value !== undefined) out.push([name, String(value)]);
  }
  return out;
}

/**
 * What code writes to a tapped response — Express's `res.send`/`json`/`sendFile`, `writeHead`,
 * `write`, `end`, `flushHeaders`, `pipeline(stream, res)` — held until the frontend decides what
 * reaches the client: whole when buffering (or when `end` carries the whole body), or from the
 * first write when streaming. Header setters keep working on the real store meanwhile. The tap
 * itself is the `NativeResponse` its sink writes through.
 */
export class Tap implements NativeResponse {
  headWritten = false;
  /** A flat list given to writeHead while the store was empty (the static handler's way), kept as Node keeps it. */
  rawHead: Array<[string, string]> | undefined;
  ended = false;
  detached = false;
  /** The frontend itself is writing: calls go straight to the real methods. */
  bypass = false;
  target: BodyTarget | undefined;
  chunks: Buffer[] = [];
  received = 0;
  private readonly saved: Saved;

  constructor(
    readonly res: ServerResponse,
    readonly sink: TapSink,
    readonly options: TapOptions,
  ) {
    this.saved = {
      writeHead: res.writeHead,
      write: res.write,
      end: res.end,
      flushHeaders: res.flushHeaders,
      setHeader: res.setHeader,
      appendHeader: res.appendHeader,
      removeHeader: res.removeHeader,
    };
    // Shared functions that find their tap from `this`: no closures made per response.
    res.writeHead = tappedWriteHead as ServerResponse['writeHead'];
    res.write = tappedWrite as ServerResponse['write'];
    res.end = tappedEnd as ServerResponse['end'];
    res.flushHeaders = tappedFlushHeaders;
    taps.set(res, this);
  }

  /** Calls a replaced method for real. */
  call(method: keyof Saved, args: readonly unknown[]): unknown {
    return (this.saved[method] as (...a: unknown[]) => unknown).apply(this.res, args as unknown[]);
  }

  writeHead(status: number, headers: ReadonlyArray<readonly [string, string]>): void {
    // A head given as a flat list (the static handler's way) goes back the same way, Node's fast
    // path; through the store otherwise, which alone keeps repeated names once it was used.
    if (this.rawHead && !repeatsNames(headers)) {
      this.call('writeHead', [status, headers.flat()]);
      return;
    }
    for (const [name, value] of headers) this.call('appendHeader', [name, value]);
    this.call('writeHead', [status]);
  }

  write(chunk: Buffer): boolean {
    return this.call('write', [chunk]) as boolean;
  }

  end(chunk?: Buffer): void {
    this.call('end', [chunk]);
  }

  /** The response head as captured: the raw list, then the store. */
  head(): Array<[string, string]> {
    return storedHeaders(this.res, this.rawHead ? this.rawHead.slice() : []);
  }

  /** Whether the app's calls are dropped: it has ended, or the frontend answered instead. */
  get dropped(): boolean {
    return this.ended || this.detached;
  }

  startStream(): BodyTarget {
    this.headWritten = true;
    this.target = this.sink.stream(this, this.res.statusCode, this.head());
    return this.target;
  }

  /** From now on the app's calls are dropped, header setters included: the frontend answers instead. */
  detach(): void {
    this.detached = true;
    this.chunks = [];
    // Node would throw on the app's late setHeader (often in a timer, where nothing catches it);
    // the app cannot know the frontend answered, so its calls are dropped instead.
    this.res.setHeader = guardedSetHeader as ServerResponse['setHeader'];
    this.res.appendHeader = guardedAppendHeader as ServerResponse['appendHeader'];
    this.res.removeHeader = guardedRemoveHeader;
  }

  /** Puts the response's methods back, for a handler that declined without writing. */
  remove(): void {
    Object.assign(this.res, this.saved);
    taps.delete(this.res);
  }
}

/** Whether a header name occurs twice (case-insensitively). */
function repeatsNames(headers: ReadonlyArray<readonly [string, string]>): boolean {
  for (let i = 1; i < headers.length; i++) {
    const name = headers[i]![0];
    for (let j = 0; j < i; j++) {
      const other = headers[j]![0];
      if (other.length === name.length && other.toLowerCase() === name.toLowerCase()) return true;
    }
  }
  return false;
}

/** A response's own methods, for answers that no tap holds (cache hits, whole backend responses). */
class DirectResponse implements NativeResponse {
  constructor(private readonly res: ServerResponse) {}

  // Through the store: Node 20's writeHead keeps only the last of repeated names once headers were ever set.
  writeHead(status: number, headers: ReadonlyArray<readonly [string, string]>): void {
    for (const [name, value] of headers) this.res.appendHeader(name, value);
    this.res.writeHead(status);
  }

  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  end(chunk?: Buffer): void {
    this.res.end(chunk);
  }
}

/** Writes to `res` for real: past its tap if it has one (a backend answering a captured request). */
export function nativeOf(res: ServerResponse): NativeResponse {
  return taps.get(res) ?? new DirectResponse(res);
}

/** The tap of `res`; a tapped method called on anything else is a bug. */
function tapOf(res: ServerResponse): Tap {
  const tap = taps.get(res);
  if (!tap) throw new TypeError('a tapped response method was called on another object');
  return tap;
}

function tappedWriteHead(this: ServerResponse, ...args: unknown[]): unknown {
  const tap = tapOf(this);
  if (tap.bypass) return tap.call('writeHead', args);
  if (tap.dropped) return this;
  const status = args[0];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) {
    throw Object.assign(new RangeError(`Invalid status code: ${String(status)}`), { code: 'ERR_HTTP_INVALID_STATUS_CODE' });
  }
  if (tap.headWritten) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
  // Node's own reading: writeHead(status, [reason], [headers]), the headers in either place.
  const headers = (args[2] ?? (typeof args[1] === 'string' ? undefined : args[1])) as OutgoingHttpHeaders | unknown[] | undefined;
  if (Array.isArray(headers) && typeof headers[0] === 'string' && headers.length % 2 === 0 && this.getHeaderNames().length === 0) {
    const raw: Array<[string, string]> = [];
    for (let i = 0; i < headers.length; i += 2) raw.push([String(headers[i]), String(headers[i + 1])]);
    tap.rawHead = raw;
  } else mergeHeaders(this, headers);
  this.statusCode = status;
  tap.headWritten = true;
  return this;
}

function tappedWrite(this: ServerResponse, ...args: unknown[]): unknown {
  const tap = tapOf(this);
  if (tap.bypass) return tap.call('write', args);
  const callback = args.find((a): a is Callback => typeof a === 'function');
  if (tap.dropped) {
    if (callback) process.nextTick(callback);
    return true;
  }
  const chunk = toBuffer(args[0], args[1]);
  if (callback) process.nextTick(callback);
  if (tap.target || !tap.options.buffer) return (tap.target ?? tap.startStream()).write(chunk);
  tap.headWritten = true;
  tap.received += chunk.length;
  if (tap.received > tap.options.limit) {
    tap.ended = true;
    tap.chunks = [];
    tap.sink.overflow(tap);
  } else tap.chunks.push(chunk);
  return true;
}

function tappedEnd(this: ServerResponse, ...args: unknown[]): unknown {
  const tap = tapOf(this);
  if (tap.bypass) return tap.call('end', args);
  const callback = args.find((a): a is Callback => typeof a === 'function');
  if (tap.dropped) {
    if (callback) process.nextTick(callback);
    return this;
  }
  tap.ended = true;
  if (callback) this.once('finish', () => callback());
  const last = args[0] === undefined || args[0] === null || typeof args[0] === 'function' ? undefined : toBuffer(args[0], args[1]);
  if (tap.target) {
    if (last) tap.target.write(last);
    tap.target.end();
    return this;
  }
  const { chunks } = tap;
  if (last) chunks.push(last);
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  tap.chunks = [];
  if (tap.received + (last?.length ?? 0) > tap.options.limit) tap.sink.overflow(tap);
  else tap.sink.complete(tap, { status: this.statusCode, headers: tap.head(), body });
  return this;
}

function tappedFlushHeaders(this: ServerResponse): void {
  const tap = tapOf(this);
  if (tap.bypass) tap.call('flushHeaders', []);
  else if (!tap.dropped && !tap.target && !tap.options.buffer) tap.startStream();
}

function guardedSetHeader(this: ServerResponse, ...args: unknown[]): unknown {
  const tap = tapOf(this);
  return tap.bypass ? tap.call('setHeader', args) : this;
}

function guardedAppendHeader(this: ServerResponse, ...args: unknown[]): unknown {
  const tap = tapOf(this);
  return tap.bypass ? tap.call('appendHeader', args) : this;
}

function guardedRemoveHeader(this: ServerResponse, ...args: unknown[]): void {
  const tap = tapOf(this);
  if (tap.bypass) tap.call('removeHeader', args);
}
