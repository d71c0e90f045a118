import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestAbortedError } from './abort.js';
import type { Logger } from './logger.js';

/** Bytes of the request line and headers as received (before the envelope changes them). */
export function requestHeadBytes(req: IncomingMessage): number {
  // "METHOD SP target SP HTTP/x.y CRLF", each "name: value CRLF", the blank line.
  let bytes = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  return bytes + 2;
}

export interface RequestLogOptions {
  logger: Logger;
  /** The request's ids, on the line. */
  bindings: Record<string, unknown>;
  /** Full URL of the request, as `httpRequest.requestUrl`. */
  url: string;
  remoteIp: string;
  headBytes: number;
  /** Body bytes received so far. */
  bodyBytes: () => number;
  /** Why the envelope cut the request short, if it did. */
  abortReason: () => RequestAbortedError | undefined;
  /** Called when the connection closes before the response was complete. */
  onClientClosed: () => void;
}

/**
 * Writes the request's line when its response closes, in Cloud Logging's `httpRequest` shape
 * (the line App Engine's request log shows): method, URL, status, latency, sizes, user agent,
 * referer, remote IP, protocol. A request the envelope cut short (deadline, body) is ERROR, with
 * `abort` naming why; otherwise 5xx is ERROR, 4xx WARNING, a client gone before any response
 * (status 0) WARNING, and the rest INFO.
 */
export function logRequestOnClose(req: IncomingMessage, res: ServerResponse, options: RequestLogOptions): void {
  const start = process.hrtime.bigint();
  const socket = req.socket;
  const writtenBefore = socket.bytesWritten;
  res.once('close', () => {
    if (!res.writableFinished) options.onClientClosed();
    const status = res.headersSent ? res.statusCode : 0;
    const ns = process.hrtime.bigint() - start;
    const httpRequest: Record<string, unknown> = {
      requestMethod: req.method,
      requestUrl: options.url,
      status,
      // int64 fields are strings in Cloud Logging's JSON, as in the LogEntry proto's JSON form.
      requestSize: String(options.headBytes + options.bodyBytes()),
      responseSize: String(socket.bytesWritten - writtenBefore),
      userAgent: req.headers['user-agent'],
      remoteIp: options.remoteIp,
      serverIp: socket.localAddress,
      referer: req.headers.referer,
      latency: `${(Number(ns) / 1e9).toFixed(6)}s`,
      protocol: `HTTP/${req.httpVersion}`,
    };
    const entry: Record<string, unknown> = { ...options.bindings, httpRequest };
    const abort = options.abortReason()?.code;
    if (abort) entry.abort = abort;
    const message = `${req.method} ${options.url} ${status}`;
    const { logger } = options;
    if (status >= 500 || (abort && abort !== 'client-closed')) logger.error(entry, message);
    else if (status >= 400 || status === 0) logger.warn(entry, message);
    else logger.info(entry, message);
  });
}
