// The ceilings: every file under <root>/static read into a Buffer at startup, with its headers
// (type, length, a strong content ETag, Last-Modified, Cache-Control) computed once. A request
// costs a Map lookup; Expires (now + max-age) is refreshed at most once a second.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const TYPES = { '.txt': 'text/plain; charset=utf-8', '.bin': 'application/octet-stream', '.html': 'text/html; charset=utf-8' };
const MAX_AGE = 86400;

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

export function preload(root) {
  const files = new Map();
  for (const full of walk(join(root, 'static'))) {
    const body = readFileSync(full);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const urlPath = '/' + relative(root, full).split(sep).join('/');
    const head = [
      'Content-Type', TYPES[extname(full)] ?? 'application/octet-stream',
      'Content-Length', String(body.length),
      'ETag', etag,
      'Last-Modified', statSync(full).mtime.toUTCString(),
      'Cache-Control', `public, max-age=${MAX_AGE}`,
    ];
    const notModified = ['ETag', etag, 'Cache-Control', `public, max-age=${MAX_AGE}`];
    files.set(urlPath, { body, etag, head, notModified });
  }
  return files;
}

let expiresSecond = 0;
let expires = '';
function expiresHeader() {
  const now = Math.floor(Date.now() / 1000);
  if (now !== expiresSecond) {
    expiresSecond = now;
    expires = new Date((now + MAX_AGE) * 1000).toUTCString();
  }
  return expires;
}

const NOT_FOUND = Buffer.from('Not Found');

/**
 * Answers from the preloaded map: 200, 304 on a matching If-None-Match, 404 for other paths under
 * /static/. Returns false (without answering) for a path outside /static/.
 */
export function answer(files, req, res) {
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const file = files.get(path);
  if (!file) {
    if (!path.startsWith('/static/')) return false;
    res.writeHead(404, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(NOT_FOUND.length)]);
    res.end(NOT_FOUND);
    return true;
  }
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && (inm === file.etag || inm === '*' || inm.split(/\s*,\s*/).some((t) => t.replace(/^W\//, '') === file.etag))) {
    res.writeHead(304, [...file.notModified, 'Expires', expiresHeader()]);
    res.end();
    return true;
  }
  res.writeHead(200, [...file.head, 'Expires', expiresHeader()]);
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}
