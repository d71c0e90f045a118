import type { IncomingMessage } from 'node:http';
import escapeHtml from 'escape-html';
import { assertAllowedHosts, checkHost, type HostOptions } from '../../envelope/host.js';
import { redirectTarget } from '../location.js';
import { textResponse, writeResponse, type Middleware, type ResponseDescription } from '../response.js';
import { devLoginCookie, devLogoutCookie, devUserSource, isDevEmail } from './dev-user.js';
import { DEFAULT_LOGIN_URL } from './check.js';

/** Options of the development login pages. */
export type DevLoginPagesOptions = HostOptions;

const LOGOUT_PATH = '/_ah/logout';
/** A login form is a few hundred bytes; anything much bigger is not one. */
const MAX_FORM_BYTES = 16 * 1024;
const NO_STORE = { 'Cache-Control': 'no-store' } as const;
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  ...NO_STORE,
} as const;

/**
 * App Engine's local sign-in pages (devappserver2 `login.py`), for development only:
 * - `/_ah/login` without an action shows a form (email, "Sign in as Administrator");
 * - `action=Login&email=…[&admin=True]` sets the `dev_appserver_login` cookie and 302s to
 *   `continue` (or back to the form); `action=Logout`, or any request to `/_ah/logout`, clears it.
 * Parameters come from the query (as the SDK's form sends them) or a urlencoded POST body (as this
 * form does). `continue` must be a path on this site or an http(s) URL with the request's own
 * host: anything else (`//evil.example`, another host, `javascript:`) is a 400, never a redirect.
 * There is no password and no CSRF token: anyone who can reach the server can be anyone, which is
 * why this exists only in development mode.
 */
export function devLoginPages(options: DevLoginPagesOptions = {}): Middleware {
  assertAllowedHosts(options.allowedHosts);
  const settings: HostOptions = { ...options };
  return (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== DEFAULT_LOGIN_URL && path !== LOGOUT_PATH) {
      next();
      return;
    }
    answer(req, path === LOGOUT_PATH, q < 0 ? '' : url.slice(q + 1), settings).then(
      (response) => {
        if (!res.headersSent) writeResponse(res, response);
      },
      (err: unknown) => next(err),
    );
  };
}

async function answer(req: IncomingMessage, logoutPath: boolean, query: string, options: HostOptions): Promise<ResponseDescription> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
    return textResponse(405, 'Method Not Allowed', { Allow: 'GET, HEAD, POST', ...NO_STORE });
  }
  const params = new URLSearchParams(query);
  if (method === 'POST') {
    const form = await readForm(req);
    if (form === undefined) return textResponse(413, 'Payload Too Large', { Connection: 'close', ...NO_STORE });
    for (const [name, value] of form) params.set(name, value);
  }
  const continueUrl = params.get('continue') ?? '';
  if (continueUrl !== '' && !isSameSite(continueUrl, req, options)) {
    return textResponse(400, 'Bad Request: continue must be a path or a URL on this site.', NO_STORE);
  }
  const action = logoutPath ? 'logout' : (params.get('action') ?? '').toLowerCase();
  if (action === '') return loginPage(req, continueUrl);

  let cookie: string | undefined;
  if (action === 'logout') cookie = devLogoutCookie();
  else if (action === 'login') {
    const email = params.get('email') ?? '';
    if (email !== '' && !isDevEmail(email)) return textResponse(400, 'Bad Request: not an email address.', NO_STORE);
    // As in the SDK, signing in with no email changes nothing and just moves on.
    if (email !== '') cookie = devLoginCookie(email, (params.get('admin') ?? '').toLowerCase() === 'true');
  }
  const location = continueUrl || redirectTarget(req).path.replace(/\/_ah\/logout$/, DEFAULT_LOGIN_URL);
  return { status: 302, headers: { Location: location, ...NO_STORE, ...(cookie ? { 'Set-Cookie': cookie } : {}) }, body: '' };
}

/**
 * `continue` is only followed within the site: a path (`/x`, not `//x` or `/\x`, which browsers
 * read as another host), or `http(s)://<the request's own host>` followed by a path, a query or
 * nothing. Checked on the text itself rather than a parsed URL, so no parser difference can slip
 * another host through; control characters, spaces, backslashes and non-ASCII are refused.
 */
function isSameSite(target: string, req: IncomingMessage, options: HostOptions): boolean {
  if (!/^[\x21-\x7e]+$/.test(target) || target.includes('\\')) return false;
  if (target.startsWith('/')) return target[1] !== '/';
  const match = /^https?:\/\/([^/?#]*)(?=[/?#]|$)/i.exec(target);
  if (!match) return false;
  const host = checkHost(req, options);
  return host.ok && match[1]!.toLowerCase() === host.host.authority;
}

/** The form, showing who is signed in; it posts back to where it was served from. */
async function loginPage(req: IncomingMessage, continueUrl: string): Promise<ResponseDescription> {
  const user = await devUserSource(req);
  const action = redirectTarget(req).path;
  const body = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Login</title></head>
<body>
<form method="post" action="${escapeHtml(action)}">
<h3>${user ? `Logged in as ${escapeHtml(user.email)}` : 'Not logged in'}</h3>
<p><label for="email">Email:</label> <input name="email" type="email" value="${escapeHtml(user?.email ?? 'test@example.com')}" id="email"></p>
<p><input name="admin" type="checkbox" value="True" id="admin"${user?.isAdmin ? ' checked' : ''}> <label for="admin">Sign in as Administrator</label></p>
<p><input name="action" type="submit" value="Login"> <input name="action" type="submit" value="Logout"></p>
<input name="continue" type="hidden" value="${escapeHtml(continueUrl)}">
</form>
</body></html>
`;
  return { status: 200, headers: PAGE_HEADERS, body };
}

/**
 * The urlencoded body of a POST (empty for other content types, or when a body parser already
 * read it into `req.body`); undefined when it is larger than a form can be, in which case the
 * rest is left unread and the answer closes the connection.
 */
function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== null && typeof parsed === 'object') return Promise.resolve(new URLSearchParams(parsed as Record<string, string>));
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || req.readableEnded) return Promise.resolve(new URLSearchParams());
  if (Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= MAX_FORM_BYTES) return;
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = (): void => {
      done();
      resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    };
    const onClose = (): void => {
      done();
      reject(new Error('the client closed the connection before sending the whole form'));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
  });
}
