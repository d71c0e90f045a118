import type { IncomingMessage, ServerResponse } from 'node:http';
import { HEADER_NAME, HEADER_VALUE } from '../../header-syntax.js';

/** A response's status line and headers, as the app gave them and Node checked them. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** Name, value, name, value...; without Content-Length, which is in `contentLength`. */
  headers: string[];
  /** The app's Content-Length, if it sent one. */
  contentLength: number | undefined;
}

/** `NNN reason`, 200 to 599 as App Engine's python27 runtime allows, no control characters. */
const STATUS = /^([2-5]\d\d) ([\t\x20-\x7e\x80-\xff]*)$/;
/** Connection-level headers: Node frames the response itself, so an app must not send these. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);

/**
 * Reads and checks an S frame (`status\0name\0value...`, Latin-1) again on Node's side: the
 * bridge is the app's process, so nothing it says reaches the client unchecked. Returns the
 * problem as a string when the head must not be sent.
 */
export function parseHead(payload: Buffer): ResponseHead | string {
  const fields = payload.toString('latin1').split('\0');
  const status = STATUS.exec(fields[0]!);
  if (!status) return `invalid status ${JSON.stringify(fields[0])}`;
  if (fields.length % 2 === 0) return 'malformed header list';
  const headers: string[] = [];
  let contentLength: number | undefined;
  for (let i = 1; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (!HEADER_NAME.test(name)) return `invalid header name ${JSON.stringify(name)}`;
    if (!HEADER_VALUE.test(value)) return `invalid value for header ${name}`;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) return `hop-by-hop header ${name}`;
    if (lower === 'content-length') {
      const length = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (Number.isNaN(length) || (contentLength !== undefined && contentLength !== length)) return `invalid Content-Length ${JSON.stringify(value)}`;
      contentLength = length;
      continue;
    }
    headers.push(name, value);
  }
  return { status: Number(status[1]), reason: status[2]!, headers, contentLength };
}

/** Statuses whose responses never have a body. */
function bodiless(req: IncomingMessage, status: number): boolean {
  return req.method === 'HEAD' || status === 204 || status === 304;
}

/**
 * Sets the status and headers on `res` (the app's headers replace any set before, repeated ones
 * such as Set-Cookie are all kept), with `contentLength` unless the status has no body. Returns
 * Node's refusal, if any, as a string.
 */
export function applyHead(res: ServerResponse, head: ResponseHead, contentLength: number | undefined): string | undefined {
  try {
    res.statusCode = head.status;
    res.statusMessage = head.reason;
    const seen = new Set<string>();
    const { headers } = head;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const lower = name.toLowerCase();
      if (!seen.has(lower)) {
        seen.add(lower);
        res.removeHeader(name);
      }
      res.appendHeader(name, headers[i + 1]!);
    }
    if (contentLength !== undefined && head.status !== 204) res.setHeader('Content-Length', contentLength);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** A whole response, the shape appyaml's frontend takes (`Frontend.sendScriptResponse`). */
export interface WholeResponse {
  status: number;
  /** In order, repeats kept. */
  headers: Array<[name: string, value: string]>;
  body: Buffer;
}

/**
 * A buffered response made whole: a body longer than the app's Content-Length is cut to it (PEP
 * 3333: never more than declared), a shorter one is an error (returned as a string); HEAD, 204
 * and 304 are exempt, as their bodies are not sent.
 */
export function wholeBody(req: IncomingMessage, head: ResponseHead, chunks: Buffer[], size: number): Buffer | string {
  const declared = head.contentLength;
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  if (bodiless(req, head.status) || declared === undefined || declared === size) return body;
  if (size < declared) return `the body (${size} bytes) is shorter than its Content-Length (${declared})`;
  return body.subarray(0, declared);
}

/** The head as `WholeResponse` pairs, with the app's Content-Length when the body will not carry its own. */
export function wholeResponse(req: IncomingMessage, head: ResponseHead, body: Buffer): WholeResponse {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < head.headers.length; i += 2) headers.push([head.headers[i]!, head.headers[i + 1]!]);
  if (head.contentLength !== undefined && bodiless(req, head.status) && head.status !== 204) headers.push(['Content-Length', String(head.contentLength)]);
  return { status: head.status, headers, body };
}

/**
 * Sends a whole response on `res` as it is. Content-Length is the body's, except for HEAD and
 * 304, where the app's stands (a HEAD without one gets the GET body's length); 204 has none.
 * Returns Node's refusal, if any, when nothing was sent.
 */
export function sendWhole(req: IncomingMessage, res: ServerResponse, head: ResponseHead, body: Buffer): string | undefined {
  const noBody = bodiless(req, head.status);
  const length = !noBody ? body.length : head.status === 204 ? undefined : (head.contentLength ?? (req.method === 'HEAD' ? body.length : undefined));
  const refused = applyHead(res, head, length);
  if (refused) return refused;
  // Always a Buffer, so that Latin-1 header values go out as the app's bytes (backends.md §1.4).
  if (noBody || body.length === 0) res.end();
  else res.end(body);
  return undefined;
}
