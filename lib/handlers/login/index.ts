/** `login` and `auth_fail_action`, user sources, and App Engine's development sign-in. */
export {
  checkLogin,
  needsUser,
  login,
  assertLoginSupported,
  assertLoginUrl,
  DEFAULT_LOGIN_URL,
  type LoginOptions,
  type LoginMiddlewareOptions,
  type LoginHandler,
  type LoginSupportOptions,
} from './check.js';
export { devLoginPages, type DevLoginPagesOptions } from './dev-pages.js';
export { devUserSource, devUserId, devUser, devLoginCookie, devLogoutCookie, DEV_LOGIN_COOKIE } from './dev-user.js';
export { userHeaders, userEnvironment, DEFAULT_AUTH_DOMAIN, type UserSource } from '../../envelope/user.js';
export { pythonQuote } from './quote.js';
