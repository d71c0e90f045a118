import { HEADER_NAME, HEADER_VALUE } from '../../header-syntax.js';

/**
 * A CGI script's output (RFC 3875 §6), parsed strictly in the manner of Go's net/http/cgi with
 * the fixes of backends.md §1.4: the header block is bounded and every line of it must be a
 * valid field; nothing is guessed. The body is kept as it comes, up to a cap.
 */

/** What the script's header block asks for. */
export type CgiReply =
  /** A document (or a client redirect with a document, or an absolute `Location` promoted to 302). */
  | { kind: 'document'; status: number; reason: string; headers: string[]; contentLength: number | undefined }
  /** `Location: /path[?query]` without a `Status`: the server fetches that path itself (§6.2.2). */
  | { kind: 'local'; location: string };

/** Limits on the header block (backends.md §1.4). */
export const MAX_HEADER_LINE = 8 * 1024;
export const MAX_HEADER_BLOCK = 64 * 1024;
export const MAX_HEADER_LINES = 100;

/** `Status: NNN reason`: App Engine takes 200 to 599; the reason has no control characters. */
const STATUS = /^([2-5]\d\d)(?:[ \t]+([\t\x20-\x7e\x80-\xff]*))?$/;
/** Connection-level fields a script must not send (§6.3.4); Node frames the response itself. */
const DROPPED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'trailers', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization']);
/**
 * A local Location: an absolute path and an optional query; never `//host` or a backslash, which
 * browsers read as another host (`/\\evil.example`).
 */
const LOCAL_LOCATION = /^\/(?!\/)[!-[\]-~]*$/;
const ABSOLUTE_LOCATION = /^https?:\/\/[!-~]+$/i;

/** Raised for output that must not reach the client; the message says why (for the log). */
export class CgiOutputError extends Error {
  override readonly name = 'CgiOutputError';
}

/**
 * Takes stdout chunk by chunk: the header block first (throws `CgiOutputError` as soon as it is
 * broken or too big), then the body, counted against `maxBody`.
 */
export class CgiOutput {
  /** Set once the blank line has been read. */
  reply: CgiReply | undefined;
  /** Body bytes so far. */
  bodySize = 0;
  private readonly body: Buffer[] = [];
  private head: Buffer[] = [];
  private headSize = 0;

  constructor(private readonly maxBody: number) {}

  /** Whether the body went over `maxBody` (the rest is not kept). */
  get overflowed(): boolean {
    return this.bodySize > this.maxBody;
  }

  push(chunk: Buffer): void {
    if (this.reply) return this.keep(chunk);
    this.head.push(chunk);
    this.headSize += chunk.length;
    const block = this.head.length === 1 ? chunk : Buffer.concat(this.head, this.headSize);
    const end = blockEnd(block);
    if (end === undefined) {
      if (this.headSize > MAX_HEADER_BLOCK) throw new CgiOutputError(`header block longer than ${MAX_HEADER_BLOCK} bytes`);
      // Checked early so that a script printing one endless line is stopped before the block limit.
      const lastNewline = block.lastIndexOf(0x0a);
      if (block.length - lastNewline - 1 > MAX_HEADER_LINE) throw new CgiOutputError(`header line longer than ${MAX_HEADER_LINE} bytes`);
      this.head = [block];
      return;
    }
    if (end.headerEnd > MAX_HEADER_BLOCK) throw new CgiOutputError(`header block longer than ${MAX_HEADER_BLOCK} bytes`);
    this.reply = parseHeaderBlock(block.subarray(0, end.headerEnd));
    this.head = [];
    if (end.bodyStart < block.length) this.keep(block.subarray(end.bodyStart));
  }

  /** End of output: the reply, or `CgiOutputError` when the blank line never came. */
  end(): CgiReply {
    if (!this.reply) throw new CgiOutputError(this.headSize === 0 ? 'no output' : 'output ended before the blank line after the headers');
    return this.reply;
  }

  /** The body read so far, whole. */
  bodyBytes(): Buffer {
    return this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body, Math.min(this.bodySize, this.maxBody));
  }

  private keep(chunk: Buffer): void {
    this.bodySize += chunk.length;
    if (this.bodySize <= this.maxBody) this.body.push(chunk);
  }
}

/** Where the header block ends (before its blank line) and the body starts: LF or CRLF line ends (RFC 3875 §7.2). */
function blockEnd(block: Buffer): { headerEnd: number; bodyStart: number } | undefined {
  // An empty first line: no headers at all (refused by the parser, which needs a CGI field).
  if (block[0] === 0x0a) return { headerEnd: 0, bodyStart: 1 };
  if (block[0] === 0x0d && block[1] === 0x0a) return { headerEnd: 0, bodyStart: 2 };
  for (let nl = block.indexOf(0x0a); nl !== -1 && nl + 1 < block.length; nl = block.indexOf(0x0a, nl + 1)) {
    if (block[nl + 1] === 0x0a) return { headerEnd: nl + 1, bodyStart: nl + 2 };
    if (block[nl + 1] === 0x0d && block[nl + 2] === 0x0a) return { headerEnd: nl + 1, bodyStart: nl + 3 };
  }
  return undefined;
}

/** The header block (each line ending in LF or CRLF) as a reply; throws `CgiOutputError`. */
export function parseHeaderBlock(block: Buffer): CgiReply {
  const text = block.toString('latin1');
  const lines = text.split('\n');
  // The block ends with the last line's LF.
  lines.pop();
  if (lines.length > MAX_HEADER_LINES) throw new CgiOutputError(`more than ${MAX_HEADER_LINES} header lines`);
  let status: RegExpExecArray | undefined;
  let contentType: string | undefined;
  let location: string | undefined;
  let contentLength: number | undefined;
  const headers: string[] = [];
  for (let line of lines) {
    if (line.length > MAX_HEADER_LINE) throw new CgiOutputError(`header line longer than ${MAX_HEADER_LINE} bytes`);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const colon = line.indexOf(':');
    // Split at the first colon only: values such as cookie dates and URLs hold more.
    const name = colon === -1 ? line : line.slice(0, colon);
    if (colon === -1 || !HEADER_NAME.test(name)) throw new CgiOutputError(`invalid header line ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!HEADER_VALUE.test(value)) throw new CgiOutputError(`invalid value for header ${name}`);
    const lower = name.toLowerCase();
    switch (lower) {
      case 'status': {
        if (status) throw new CgiOutputError('Status given twice');
        status = STATUS.exec(value) ?? undefined;
        if (!status) throw new CgiOutputError(`invalid Status ${JSON.stringify(value)}`);
        continue;
      }
      case 'location':
        if (location !== undefined) throw new CgiOutputError('Location given twice');
        if (!LOCAL_LOCATION.test(value) && !ABSOLUTE_LOCATION.test(value)) throw new CgiOutputError(`invalid Location ${JSON.stringify(value)}`);
        location = value;
        break;
      case 'content-type':
        if (contentType !== undefined) throw new CgiOutputError('Content-Type given twice');
        contentType = value;
        break;
      case 'content-length': {
        if (contentLength !== undefined || !/^\d{1,15}$/.test(value)) throw new CgiOutputError(`invalid Content-Length ${JSON.stringify(value)}`);
        contentLength = Number(value);
        continue;
      }
      case 'transfer-encoding':
        // The body would mean something else than the bytes we forward.
        throw new CgiOutputError('Transfer-Encoding in CGI output');
      default:
        if (DROPPED.has(lower)) continue;
    }
    headers.push(name, value);
  }
  if (!status && contentType === undefined && location === undefined) throw new CgiOutputError('no Status, Content-Type or Location');
  if (location !== undefined && !status && location.startsWith('/')) return { kind: 'local', location };
  if (location !== undefined && !status) return { kind: 'document', status: 302, reason: 'Found', headers, contentLength };
  return { kind: 'document', status: status ? Number(status[1]) : 200, reason: status?.[2] ?? '', headers, contentLength };
}
