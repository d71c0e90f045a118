import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { clearResponseHeaders, frontendAnswer } from './response-tap.js';

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


/**
 * A short plain-text answer from the envelope itself (413, 408), in the style of the 400/414 ones.
 * Like every frontend answer it replaces whatever the app has buffered (`frontendAnswer`).
 */
export function answerPlain(req: IncomingMessage, res: ServerResponse, status: number): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`;
  frontendAnswer(res, () => {
    // Drops headers the app had set for the response it no longer sends (a stale Content-Encoding would garble ours).
    clearResponseHeaders(res);
    closeIfBodyPending(req, res);
    res.writeHead(status, [
      'Content-Type', 'text/plain; charset=utf-8',
      'Content-Length', String(Buffer.byteLength(body)),
      'X-Content-Type-Options', 'nosniff',
    ]);
    res.end(body);
  });
}

/**
 * App Engine's generic error page, which the frontend sends when a request fails (its deadline, a
 * backend that crashed); "Server Error" for 500 as App Engine words it, the status text otherwise.
 */
function serverErrorPage(status: number): Buffer {
  const reason = status === 500 ? 'Server Error' : (STATUS_CODES[status] ?? 'Server Error');
  return Buffer.from(
    '<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n' +
      `<title>${status} ${reason}</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n` +
      `<h1>Error: ${reason}</h1>\n<h2>The server encountered an error and could not complete your request.` +
      '<p>Please try again in 30 seconds.</h2>\n<h2></h2>\n</body></html>\n',
  );
}

const SERVER_ERROR_PAGES = new Map<number, Buffer>();

/** Answers `status` (default 500) with App Engine's generic error page, replacing whatever the app had buffered. */
export function answerServerError(req: IncomingMessage, res: ServerResponse, status = 500): void {
  const page = SERVER_ERROR_PAGES.get(status) ?? serverErrorPage(status);
  SERVER_ERROR_PAGES.set(status, page);
  frontendAnswer(res, () => {
    // Drops headers the app had set for the response it no longer sends (a stale Content-Encoding would garble ours).
    clearResponseHeaders(res);
    closeIfBodyPending(req, res);
    res.writeHead(status, [
      'Content-Type', 'text/html; charset=UTF-8',
      'Content-Length', String(page.length),
      'X-Content-Type-Options', 'nosniff',
    ]);
    res.end(page);
  });
}
