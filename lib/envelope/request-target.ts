import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestPath } from './request-path.js';

/**
 * The request target as the client sent it: Express rewrites `req.url` when a router is mounted
 * under a path, but keeps the original in `req.originalUrl`.
 */
export function requestTarget(req: IncomingMessage): string {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
}

const REASONS = { 400: 'Bad Request', 414: 'URI Too Long' } as const;

/** App Engine's "302 Moved" page, without the link (CVE-2024-43799: a Location is never rendered). */
const MOVED_BODY = Buffer.from('<html><head><title>302 Moved</title></head><body><h1>302 Moved</h1>The document has moved.</body></html>\n');

/** Writes the answer for a request path that is not served as is: 400/414 plain text, or the 302. */
export function answerRequestPath(res: ServerResponse, result: Exclude<RequestPath, { kind: 'ok' }>): void {
  if (result.kind === 'redirect') {
    res.writeHead(302, [
      'Location', result.location,
      'Content-Type', 'text/html; charset=utf-8',
      'Content-Length', String(MOVED_BODY.length),
      'Content-Security-Policy', "default-src 'none'",
      'X-Content-Type-Options', 'nosniff',
    ]);
    res.end(MOVED_BODY);
    return;
  }
  const body = `${REASONS[result.status]}\n`;
  res.writeHead(result.status, [
    'Content-Type', 'text/plain; charset=utf-8',
    'Content-Length', String(body.length),
    'X-Content-Type-Options', 'nosniff',
  ]);
  res.end(body);
}
