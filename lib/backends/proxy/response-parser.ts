/**
 * A strict HTTP/1.1 response parser for the proxy's upstream connections (RFC 9112). Anything
 * it cannot frame without guessing is an error, so that a broken or hostile upstream can never
 * make the proxy relay a response other than the one it sent: bare LF or CR, obs-fold, a
 * `Content-Length` together with `Transfer-Encoding`, conflicting lengths, a transfer coding
 * other than `chunked`, oversized heads and chunk sizes, an unsolicited 101.
 */

/** What the parser tells its owner; `head` and `end` are called once per response. */
export interface ResponseEvents {
  /** The final response head: `headers` is flat `[name, value, ...]`, as received; `connection` its Connection list. */
  head(status: number, reason: string, headers: string[], connection: string | undefined): void;
  /** Body bytes, de-chunked. */
  body(chunk: Buffer): void;
  /** The response is complete (told after the bytes that completed it were read); `reusable` when the connection may carry another request. */
  end(reusable: boolean): void;
  error(message: string): void;
}

const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r\n]*))?$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
// Field values: visible characters, spaces, tabs and obs-text; no other control characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,15})[ \t]*(;[^\r\n]*)?$/;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

export class ResponseParser {
  private state: State = 'head';
  private pending: Buffer | undefined;
  private remaining = 0;
  private keepAlive = false;
  private failed = false;
  private ended = false;

  /** `bodiless`: the request was HEAD, so the response has no body whatever its headers say. */
  constructor(
    private readonly events: ResponseEvents,
    private readonly bodiless: boolean,
  ) {}

  /** Whether a response head has been seen (an error after it can no longer become a status). */
  get started(): boolean {
    return this.state !== 'head';
  }

  /** Feeds bytes from the connection. */
  push(chunk: Buffer): void {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    while (data.length > 0 && !this.failed) {
      const used = this.step(data);
      if (used < 0) {
        this.pending = data;
        return;
      }
      data = data.subarray(used);
    }
    // Told once the whole chunk is read, so that bytes after the response count against reuse.
    if (this.state === 'done' && !this.ended && !this.failed) {
      this.ended = true;
      this.events.end(this.keepAlive);
    }
  }

  /** The connection ended: completes a response framed by the close, else fails. */
  close(): void {
    if (this.failed || this.ended) return;
    if (this.state === 'close') {
      this.state = 'done';
      this.ended = true;
      return this.events.end(false);
    }
    this.fail(this.state === 'head' ? 'closed the connection without a response' : 'closed the connection before the response was complete');
  }

  /** Consumes from `data`; returns the bytes used, or -1 when more are needed. */
  private step(data: Buffer): number {
    switch (this.state) {
      case 'head':
        return this.readHead(data);
      case 'length': {
        const n = Math.min(this.remaining, data.length);
        this.remaining -= n;
        this.events.body(n === data.length ? data : data.subarray(0, n));
        if (this.remaining === 0) this.finish();
        return n;
      }
      case 'chunk-size':
      case 'trailers': {
        const end = data.indexOf(CRLF);
        if (end === -1) return data.length > MAX_LINE ? this.fail('sent an overlong chunk line') : -1;
        const line = data.toString('latin1', 0, end);
        if (this.state === 'trailers') {
          if (line === '') this.finish();
          else if (!HEADER_LINE.test(line)) return this.fail('sent an invalid trailer');
          return end + 2;
        }
        const size = CHUNK_SIZE.exec(line);
        if (!size) return this.fail('sent an invalid chunk size');
        this.remaining = parseInt(size[1]!, 16);
        this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
        return end + 2;
      }
      case 'chunk-data': {
        const n = Math.min(this.remaining, data.length);
        this.remaining -= n;
        this.events.body(n === data.length ? data : data.subarray(0, n));
        if (this.remaining === 0) this.state = 'chunk-end';
        return n;
      }
      case 'chunk-end':
        if (data.length < 2) return -1;
        if (data[0] !== 13 || data[1] !== 10) return this.fail('sent a chunk longer than its size');
        this.state = 'chunk-size';
        return 2;
      case 'close':
        this.events.body(data);
        return data.length;
      case 'done':
        // Bytes after a complete response: the connection cannot be trusted with another one.
        this.keepAlive = false;
        return data.length;
    }
  }

  private readHead(data: Buffer): number {
    const end = data.indexOf(HEAD_END);
    if (end === -1) return data.length > MAX_HEAD ? this.fail('sent a response head over 64 KiB') : -1;
    if (end > MAX_HEAD) return this.fail('sent a response head over 64 KiB');
    const lines = data.toString('latin1', 0, end).split('\r\n');
    const status = STATUS_LINE.exec(lines[0]!);
    if (!status) return this.fail('sent an invalid status line');
    const code = Number(status[2]);
    const headers: string[] = [];
    let length: string | undefined;
    let transfer: string | undefined;
    let connection: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const header = HEADER_LINE.exec(line);
      if (!header || BAD_VALUE.test(header[2]!)) return this.fail(line[0] === ' ' || line[0] === '\t' ? 'folded a header line' : 'sent an invalid header line');
      const [, name, value] = header as unknown as [string, string, string];
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        for (const part of value.split(',')) {
          const n = part.trim();
          if (!/^\d{1,15}$/.test(n) || (length !== undefined && length !== n)) return this.fail('sent an invalid or conflicting Content-Length');
          length = n;
        }
      } else if (lower === 'transfer-encoding') {
        transfer = transfer === undefined ? value : `${transfer}, ${value}`;
      } else if (lower === 'connection') {
        connection = connection === undefined ? value : `${connection}, ${value}`;
      }
      headers.push(name, value);
    }
    const used = end + 4;
    // 100 Continue, 103 Early Hints...: informational, not relayed; the final response follows.
    if (code < 200 && code !== 101) return used;
    if (code === 101) return this.fail('switched protocols unasked (101)');
    this.keepAlive = status[1] === '1' && !/(^|,)\s*close\s*(,|$)/i.test(connection ?? '');
    if (transfer !== undefined && length !== undefined) return this.fail('sent both Content-Length and Transfer-Encoding');
    if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') return this.fail(`used a transfer coding other than chunked (${transfer})`);
    this.events.head(code, status[3] ?? '', headers, connection);
    if (this.failed) return used;
    if (this.bodiless || code === 204 || code === 304) this.finish();
    else if (transfer !== undefined) this.state = 'chunk-size';
    else if (length !== undefined) {
      this.remaining = Number(length);
      if (this.remaining === 0) this.finish();
      else this.state = 'length';
    } else {
      this.keepAlive = false;
      this.state = 'close';
    }
    return used;
  }

  private finish(): void {
    this.state = 'done';
  }

  /** Stops parsing; the owner hears why. Returns a count that ends the current `push`. */
  private fail(message: string): number {
    if (!this.failed) {
      this.failed = true;
      this.events.error(message);
    }
    return Infinity;
  }

  /** The owner gave up on the response (its client left, it failed): no more events. */
  abort(): void {
    this.failed = true;
  }
}
