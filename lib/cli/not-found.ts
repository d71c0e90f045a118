import type { IncomingMessage, ServerResponse } from 'node:http';
import escapeHtml from 'escape-html';

/**
 * What `appyaml serve` answers when the middleware calls `next()`: App Engine's 404 page when no
 * handler matched (spec §2.1 step 8); a 501 for a script handler no backend runs (`script: auto`
 * with no entrypoint to start).
 */
export function noHandler(req: IncomingMessage, res: ServerResponse): void {
  const route = req.appEngine?.route;
  if (route?.handler.type === 'script') {
    const text = `no backend runs this script handler: ${route.target}\n`;
    res.writeHead(501, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text))]);
    res.end(text);
    return;
  }
  const path = req.appEngine?.path ?? '';
  const body = `<html><head><title>Not Found</title></head><body>The url "${escapeHtml(path)}" does not match any handlers.</body></html>`;
  res.writeHead(404, ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'X-Content-Type-Options', 'nosniff']);
  res.end(body);
}

/** An error passed to `next(err)`: 500 with an empty body, as App Engine answers an exception. */
export function internalError(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, ['Content-Length', '0']);
  res.end();
}
