import type { IncomingMessage } from 'node:http';
import type { AppEngineUser } from './context.js';

/**
 * Who is signed in, for `login:` and for the `X-AppEngine-User-*` headers: a function from the
 * request to the user, or null for nobody (sync or async). In production this is yours (a session,
 * an identity-aware proxy's headers...); in development appyaml defaults to `devUserSource`.
 * A rejected promise or a throw becomes the request's error (500), never a signed-in user.
 */
export type UserSource = (req: IncomingMessage) => AppEngineUser | null | Promise<AppEngineUser | null>;

/** App Engine's auth domain when none is given. */
export const DEFAULT_AUTH_DOMAIN = 'gmail.com';

/**
 * The headers a backend receives about the signed-in user, as App Engine sends them
 * (app-engine.md §3.6); none when nobody is signed in. Clients cannot forge them: the envelope
 * strips every `X-AppEngine-*` header a client sends before these are added.
 */
export function userHeaders(user: AppEngineUser | null | undefined): Record<string, string> {
  if (!user) return {};
  return {
    'X-AppEngine-User-Email': header(user.email),
    'X-AppEngine-User-Id': header(user.userId),
    'X-AppEngine-User-Nickname': header(user.nickname),
    'X-AppEngine-User-Organization': header(user.organization ?? ''),
    'X-AppEngine-User-Is-Admin': user.isAdmin ? '1' : '0',
    'X-AppEngine-Auth-Domain': header(user.authDomain ?? DEFAULT_AUTH_DOMAIN),
  };
}

/**
 * The python27 runtime's user variables (app-engine.md §5): `USER_*` and `AUTH_DOMAIN`, empty
 * (and `USER_IS_ADMIN=0`) when nobody is signed in, as the Users API expects.
 */
export function userEnvironment(user: AppEngineUser | null | undefined): Record<string, string> {
  return {
    USER_EMAIL: clean(user?.email ?? ''),
    USER_ID: clean(user?.userId ?? ''),
    USER_NICKNAME: clean(user?.nickname ?? ''),
    USER_ORGANIZATION: clean(user?.organization ?? ''),
    USER_IS_ADMIN: user?.isAdmin ? '1' : '0',
    AUTH_DOMAIN: clean(user?.authDomain ?? DEFAULT_AUTH_DOMAIN),
  };
}

/**
 * Values come from a user source, which may pass on what a client typed: control characters
 * would split a header or break a child's environment, so they go.
 */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return String(value).replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
}

/** Node sends header strings as Latin-1; non-ASCII text goes as its UTF-8 bytes, as WSGI and CGI read them. */
function header(value: string): string {
  const text = clean(value);
  return /[\u0080-\uffff]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}
