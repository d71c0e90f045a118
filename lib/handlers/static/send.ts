import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { NOT_FOUND, type FileBody, type StaticResponse } from './resolve.js';

const UNAVAILABLE_BODY = Buffer.from('Service Unavailable\n');
/** Out of file descriptors: a passing condition, so say when to come back (as Caddy does). */
const UNAVAILABLE: StaticResponse = {
  status: 503,
  headers: ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(UNAVAILABLE_BODY.length), 'Retry-After', '1'],
  body: UNAVAILABLE_BODY,
};

/**
 * Writes a resolved response. HEAD gets the headers only and no file is opened. Bodies from
 * memory are written in one go; file ranges are streamed through `stream.pipeline`, which
 * destroys the read stream, and so closes the file, when the client goes away.
 */
export function sendStaticResponse(req: IncomingMessage, res: ServerResponse, response: StaticResponse): void {
  const { body } = response;
  if (body === undefined || Buffer.isBuffer(body) || req.method === 'HEAD') {
    res.writeHead(response.status, response.headers as string[]);
    res.end(req.method === 'HEAD' || !Buffer.isBuffer(body) ? undefined : body);
    return;
  }
  // streamFile handles its own failures; this only keeps a bug there from becoming an unhandled rejection.
  streamFile(req, res, response, body).catch(() => res.destroy());
}

async function streamFile(req: IncomingMessage, res: ServerResponse, response: StaticResponse, file: FileBody): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, 'r');
  } catch (err) {
    return sendStaticResponse(req, res, unreadable(err));
  }
  try {
    const stats = await handle.stat();
    // The index promised these bytes under its ETag and length; anything else is not the file it indexed.
    if (stats.size !== file.size || stats.mtimeMs !== file.mtimeMs || stats.ino !== file.ino) {
      await handle.close().catch(() => undefined);
      return sendStaticResponse(req, res, NOT_FOUND);
    }
  } catch (err) {
    await handle.close().catch(() => undefined);
    return sendStaticResponse(req, res, unreadable(err));
  }
  const stream = handle.createReadStream({ start: file.start, end: file.end });
  try {
    res.writeHead(response.status, response.headers as string[]);
  } catch {
    stream.destroy();
    res.destroy();
    return;
  }
  pipeline(stream, res, () => {
    // Errors (client gone, read failure) have destroyed both streams, closing the file; nothing is left to answer.
  });
}

function unreadable(err: unknown): StaticResponse {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EMFILE' || code === 'ENFILE' ? UNAVAILABLE : NOT_FOUND;
}
