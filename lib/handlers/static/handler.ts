import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig, StaticHandlerConfig } from '../../config/types.js';
import { FileIndex } from './file-index.js';
import type { VariesByEncoding } from './headers.js';
import { ExpiresClock } from './http-date.js';
import { resolveStatic, type ResolveContext } from './resolve.js';
import { sendStaticResponse } from './send.js';

/** How static files are served; shared by `appYaml()` and `staticFiles()`. */
export interface StaticServingOptions {
  /**
   * `'production'` (default): the servable files are indexed once, at startup, like App Engine's
   * deploy-time snapshot: files added later are 404, small files keep the bytes read at startup,
   * and a larger file changed later answers 404 rather than bytes that no longer match its ETag
   * (until restart). A miss never touches the disk.
   * `'development'`: the folders that can hold static files are watched and the index follows
   * edits within a few tens of milliseconds.
   */
  mode?: 'production' | 'development';
  /**
   * Send `Last-Modified` (the file's mtime) and honour If-Modified-Since, If-Unmodified-Since and
   * dated If-Range. Default false: App Engine documents no Last-Modified for static files and its
   * dev server sends none; mtimes also differ between machines and checkouts, while the content
   * ETag does not.
   */
  lastModified?: boolean;
  /** Files up to this many bytes are answered from memory (default 64 KiB). */
  memoryFileSize?: number;
  /** Total bytes of file contents kept in memory (default 64 MiB); past it, files are read from disk. */
  memoryTotalSize?: number;
}

export const DEFAULT_MEMORY_FILE_SIZE = 64 * 1024;
export const DEFAULT_MEMORY_TOTAL_SIZE = 64 * 1024 * 1024;

/**
 * Serves `static_files` and `static_dir` handlers from an index of the app's servable files
 * (App Engine's `StaticContentHandler`). The index is built synchronously in the constructor:
 * an app folder is walked and hashed in milliseconds to seconds, and problems then surface where
 * the middleware is created rather than on a first request.
 */
export class StaticContentHandler {
  private readonly index: FileIndex;
  /** Reused across requests; only `now` changes. */
  private readonly context: ResolveContext;

  /** `varies`: the frontend's compression rule (`Frontend.staticVaries`), when it compresses. */
  constructor(app: AppConfig, options: StaticServingOptions = {}, varies?: VariesByEncoding) {
    this.index = new FileIndex(app, {
      mode: options.mode ?? 'production',
      memoryFileSize: options.memoryFileSize ?? DEFAULT_MEMORY_FILE_SIZE,
      memoryTotalSize: options.memoryTotalSize ?? DEFAULT_MEMORY_TOTAL_SIZE,
    });
    this.context = {
      index: this.index,
      defaultExpiration: app.default_expiration,
      lastModified: options.lastModified ?? false,
      clock: new ExpiresClock(),
      varies,
      now: 0,
    };
  }

  /**
   * Answers a request matched by a static handler, `target` being the expanded file path.
   * Returns false, having written nothing, when the handler declines (`require_matching_file`
   * and no servable file): matching then goes on with the next handler.
   */
  serve(handler: StaticHandlerConfig, target: string, req: IncomingMessage, res: ServerResponse): boolean {
    this.context.now = Date.now();
    const response = resolveStatic(handler, target, req.headers, this.context);
    if (response === 'decline') return false;
    sendStaticResponse(req, res, response);
    return true;
  }

  /** Stops watching the app folder (development mode). */
  close(): void {
    this.index.close();
  }
}
