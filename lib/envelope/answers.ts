import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

/** Whether the request announced a body (chunked, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Asks Node to close the connection after the response when the request body has not all
 * arrived: otherwise Node would read and discard the rest (up to any size) to keep the
 * connection alive, and a client waiting for `100 Continue` would never send it.
 */
export function closeIfBodyPending(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete && hasBody(req) && !res.headersSent) res.setHeader('Connection', 'close');
}

/** Drops headers the app had set for the response it no longer sends (a stale Content-Encoding would garble ours). */
function clearHeaders(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
}

/** A short plain-text answer from the envelope itself (413, 408), in the style of the 400/414 ones. */
export function answerPlain(req: IncomingMessage, res: ServerResponse, status: number): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`;
  clearHeaders(res);
  closeIfBodyPending(req, res);
  res.writeHead(status, [
    'Content-Type', 'text/plain; charset=utf-8',
    'Content-Length', String(Buffer.byteLength(body)),
    'X-Content-Type-Options', 'nosniff',
  ]);
  res.end(body);
}

/** App Engine's generic 500 page, which the frontend sends when a request fails (e.g. its deadline). */
const SERVER_ERROR_PAGE = Buffer.from(
  '<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n' +
    '<title>500 Server Error</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n' +
    '<h1>Error: Server Error</h1>\n<h2>The server encountered an error and could not complete your request.' +
    '<p>Please try again in 30 seconds.</h2>\n<h2></h2>\n</body></html>\n',
);

/** Answers 500 with App Engine's generic error page. */
export function answerServerError(req: IncomingMessage, res: ServerResponse): void {
  clearHeaders(res);
  closeIfBodyPending(req, res);
  res.writeHead(500, [
    'Content-Type', 'text/html; charset=UTF-8',
    'Content-Length', String(SERVER_ERROR_PAGE.length),
    'X-Content-Type-Options', 'nosniff',
  ]);
  res.end(SERVER_ERROR_PAGE);
}
