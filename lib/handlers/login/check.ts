import type { IncomingMessage } from 'node:http';
import escapeHtml from 'escape-html';
import { ConfigError, type ConfigProblem } from '../../config/errors.js';
import type { AppConfig, HandlerConfig } from '../../config/types.js';
import type { AppEngineUser } from '../../envelope/context.js';
import { assertAllowedHosts, checkHost, type HostOptions } from '../../envelope/host.js';
import { redirectTarget, requestScheme } from '../location.js';
import { textResponse, writeResponse, type Middleware, type ResponseDescription } from '../response.js';
import { devUserSource } from './dev-user.js';
import { pythonQuote } from './quote.js';
import type { UserSource } from '../../envelope/user.js';

/** Options of `checkLogin` and the `login` part. */
export interface LoginOptions extends HostOptions {
  /**
   * Where `auth_fail_action: redirect` sends people, with `continue=<the page>` appended: a path
   * on this host (prefixed with the request's scheme and host) or an absolute `http(s)` URL such
   * as your sign-in service. Default: `/_ah/login`, the development login page.
   */
  loginUrl?: string;
}

/** Options of the `login` middleware. */
export interface LoginMiddlewareOptions extends LoginOptions {
  users: UserSource;
}

/** The handler keys the rule reads. */
export type LoginHandler = Pick<HandlerConfig, 'login' | 'auth_fail_action' | 'type'>;

/** How appyaml runs, and the user source it was given (`appYaml({ mode, users })`). */
export interface LoginSupportOptions {
  mode: 'production' | 'development';
  users?: UserSource;
}

/** App Engine's sign-in path, served in development by `devLoginPages`. */
export const DEFAULT_LOGIN_URL = '/_ah/login';

const ABSOLUTE_HTTP = /^https?:\/\/[^/?#\\]+/i;
const NOT_AUTHORIZED_HEADERS = { 'Content-Type': 'text/html', 'Cache-Control': 'no-cache' } as const;

/**
 * Whether a request to this handler needs to know its user: to enforce `login:`, or to tell a
 * script who is signed in. A static file with `login: optional` does not, and skips the lookup.
 */
export function needsUser(handler: LoginHandler): boolean {
  return handler.login !== 'optional' || handler.type === 'script';
}

/**
 * App Engine's `login` and `auth_fail_action` rule (app-engine.md §2.7) for one request. Looks
 * the user up when `needsUser` says so (once per request: the result is kept in
 * `req.appEngine.user`, null for nobody), so scripts learn who is signed in even where login is
 * optional; then:
 * - `required`/`admin` and nobody signed in: `redirect` → 302 `Requires login` to the login URL
 *   with `continue=` the quoted page URL; `unauthorized` → 401 `Login required to view page.`;
 * - `admin` and a signed-in non-admin: 401 naming the user, whatever `auth_fail_action` says;
 * - otherwise undefined (serve).
 * The 401s are `text/html` with `Cache-Control: no-cache`, as App Engine sends them; the email
 * is HTML-escaped. `secure` is checked before this (the composer's order, as on App Engine), so
 * the login redirect is only ever built for a request that already has the right scheme.
 *
 * Not emulated: App Engine lets cron and task-queue requests through `login: admin` because they
 * come from its own infrastructure (`X-AppEngine-Cron`, `X-AppEngine-QueueName`), and the dev
 * server's `X-AppEngine-Fake-Is-Admin`/`-Fake-Logged-In` headers. appyaml cannot tell such a
 * request from a forged one (clients' `X-AppEngine-*` headers are stripped), so a user source that
 * can vouch for them is the way to admit them.
 */
export async function checkLogin(
  handler: LoginHandler,
  req: IncomingMessage,
  users: UserSource,
  options: LoginOptions = {},
): Promise<ResponseDescription | undefined> {
  if (!needsUser(handler)) return undefined;
  const user = await currentUser(req, users);
  if (handler.login === 'optional') return undefined;
  const adminOnly = handler.login === 'admin';
  const isAdmin = user?.isAdmin === true;
  if (!user?.email && !(isAdmin && adminOnly)) {
    return handler.auth_fail_action === 'unauthorized' ? notAuthorized('Login required to view page.') : loginRedirect(req, options);
  }
  if (adminOnly && !isAdmin) {
    return notAuthorized(`Current logged in user ${htmlText(user?.email ?? '')} is not authorized to view this page.`);
  }
  return undefined;
}

/**
 * The `login` part as a middleware: applies `checkLogin` to the handler the router chose
 * (`req.appEngine.route`); goes after `secure`. Requests without a route pass through.
 */
export function login(options: LoginMiddlewareOptions): Middleware {
  assertAllowedHosts(options.allowedHosts);
  assertLoginUrl(options.loginUrl);
  const { users, ...settings } = options;
  return (req, res, next) => {
    const handler = req.appEngine?.route?.handler;
    // Decided synchronously when there is nothing to look up, so static files pay no promise.
    if (!handler || !needsUser(handler)) {
      next();
      return;
    }
    checkLogin(handler, req, users, settings).then(
      (response) => {
        // Something else (a deadline) may have answered while the user source was working.
        if (res.headersSent) return;
        if (response) writeResponse(res, response);
        else next();
      },
      (err: unknown) => next(err),
    );
  };
}

/**
 * Checks at load that every `login:` can be enforced, and returns the user source to use: the
 * one given, else in development the `dev_appserver_login` cookie. In production without one, a
 * handler with `login: required` or `admin` would let everyone in (or no one), so this throws a
 * ConfigError naming each such handler instead.
 */
export function assertLoginSupported(config: Pick<AppConfig, 'handlers'>, options: LoginSupportOptions): UserSource | undefined {
  if (options.users) return options.users;
  if (options.mode === 'development') return devUserSource;
  const problems: ConfigProblem[] = config.handlers
    .filter((handler) => handler.login !== 'optional')
    .map(({ login: setting, source }) => ({
      file: source.file,
      line: source.line,
      column: source.column,
      path: `${source.path}.login`,
      message:
        `login: ${setting} needs a user source in production; pass \`users\` (a function from the request to the ` +
        'signed-in user) to appYaml(), or run in development mode to use the /_ah/login page',
    }));
  if (problems.length > 0) throw new ConfigError(problems);
  return undefined;
}

/** Throws a TypeError unless `loginUrl` is a path on this host or an absolute http(s) URL. */
export function assertLoginUrl(loginUrl: string | undefined): void {
  if (loginUrl === undefined) return;
  const path = loginUrl.startsWith('/') && !/^\/[/\\]/.test(loginUrl);
  if (!(path || ABSOLUTE_HTTP.test(loginUrl)) || /[^\x21-\x7e]/.test(loginUrl)) {
    throw new TypeError(`login: loginUrl must be a path ("/login") or an absolute http(s) URL, not ${JSON.stringify(loginUrl)}`);
  }
}

async function currentUser(req: IncomingMessage, users: UserSource): Promise<AppEngineUser | null> {
  const known = req.appEngine?.user;
  if (known !== undefined) return known;
  const user = (await users(req)) ?? null;
  if (req.appEngine) req.appEngine.user = user;
  return user;
}

function loginRedirect(req: IncomingMessage, options: LoginOptions): ResponseDescription {
  const host = checkHost(req, options);
  if (!host.ok) return textResponse(400, `Bad Request: ${host.reason}.`);
  const origin = `${requestScheme(req)}://${host.host.authority}`;
  const { path, query } = redirectTarget(req);
  const page = `${origin}${path}${query === '' ? '' : `?${query}`}`;
  const loginUrl = options.loginUrl ?? DEFAULT_LOGIN_URL;
  const base = loginUrl.startsWith('/') ? `${origin}${loginUrl}` : loginUrl;
  const location = `${base}${base.includes('?') ? '&' : '?'}continue=${pythonQuote(page)}`;
  return { status: 302, statusMessage: 'Requires login', headers: { Location: location }, body: '' };
}

function notAuthorized(body: string): ResponseDescription {
  return { status: 401, statusMessage: 'Not authorized', headers: NOT_AUTHORIZED_HEADERS, body };
}

/** Escaped, and ASCII only, so the charset-less `text/html` App Engine sends cannot misread it. */
function htmlText(text: string): string {
  return escapeHtml(text).replace(/[\u{80}-\u{10ffff}]/gu, (c) => `&#x${c.codePointAt(0)!.toString(16)};`);
}
