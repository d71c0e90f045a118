import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { AppEngineUser } from '../../envelope/context.js';
import { DEFAULT_AUTH_DOMAIN, type UserSource } from '../../envelope/user.js';

/** The cookie App Engine's local server keeps the fake sign-in in: `email:True|False:userId`. */
export const DEV_LOGIN_COOKIE = 'dev_appserver_login';

/**
 * What the dev login accepts as an email: one `@`, printable ASCII without the characters that
 * would break the cookie (`:` separates its fields; `;`, `,`, `"` and `\` end or quote it).
 */
const EMAIL = /^[\x21-\x7e]{1,254}$/;
const NOT_IN_EMAIL = /[:;,"\\]/;
const USER_ID = /^[0-9]{1,32}$/;

/** Whether the dev login takes `email` (one `@` with text on both sides, in the characters above). */
export function isDevEmail(email: string): boolean {
  const at = email.indexOf('@');
  return EMAIL.test(email) && !NOT_IN_EMAIL.test(email) && at > 0 && at === email.lastIndexOf('@') && at < email.length - 1;
}

/**
 * The user id App Engine's local server derives from an email (devappserver2 `login.py`):
 * `'1'` followed by the first 20 digits of the md5 bytes of the lower-cased email, each byte
 * written in decimal with at least two digits. Python 2 lower-cased bytes, so ASCII only.
 */
export function devUserId(email: string): string {
  const digest = createHash('md5').update(email.replace(/[A-Z]+/g, (s) => s.toLowerCase()), 'utf8').digest();
  return `1${Array.from(digest, (b) => String(b).padStart(2, '0')).join('').slice(0, 20)}`;
}

/** The signed-in user described by an email, as the dev server reports one (nickname and organization split at `@`). */
export function devUser(email: string, isAdmin: boolean, userId = devUserId(email)): AppEngineUser {
  const at = email.indexOf('@');
  return { email, userId, nickname: email.slice(0, at), organization: email.slice(at + 1), isAdmin, authDomain: DEFAULT_AUTH_DOMAIN };
}

/**
 * The development user source: reads the `dev_appserver_login` cookie. Anyone can set it, which
 * is the point in development and why appyaml never uses it in production. A value without a
 * valid email counts as signed out; the user id is the cookie's when it is numeric, else derived.
 */
export const devUserSource: UserSource = (req: IncomingMessage) => {
  const header = req.headers.cookie;
  if (!header) return null;
  const raw = parseCookie(header)[DEV_LOGIN_COOKIE];
  if (!raw) return null;
  // The dev server writes the value quoted (`"e:True:id"`), as Python's SimpleCookie reads it.
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  const [email = '', admin = '', userId = ''] = value.split(':');
  if (!isDevEmail(email)) return null;
  return devUser(email, admin === 'True', USER_ID.test(userId) ? userId : undefined);
};

/** `Set-Cookie` that signs `email` in, quoted as the dev server writes it. */
export function devLoginCookie(email: string, isAdmin: boolean): string {
  const value = `${email}:${isAdmin ? 'True' : 'False'}:${devUserId(email)}`;
  return stringifySetCookie(DEV_LOGIN_COOKIE, value, { encode: (v) => `"${v}"`, path: '/', httpOnly: true, sameSite: 'lax' });
}

/** `Set-Cookie` that signs out. */
export function devLogoutCookie(): string {
  return stringifySetCookie(DEV_LOGIN_COOKIE, '', { path: '/', maxAge: 0, httpOnly: true, sameSite: 'lax' });
}
