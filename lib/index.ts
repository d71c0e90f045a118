/**
 * appyaml: serve a web app the way Google App Engine does, from its app.yaml.
 * `appYaml()` composes every part; each part is also exported to be used on its own.
 */
export { appYaml, type AppYamlOptions, type AppYamlMiddleware } from './app-yaml.js';

// app.yaml: loading, validation, the model
export { loadAppYaml, checkAppYaml, type AppYamlSource, type AppYamlCheck } from './config/load.js';
export { ConfigError, formatProblem, type ConfigProblem, type SourcePosition } from './config/errors.js';
export { parseExpiration, ExpirationError, MAX_EXPIRATION_SECONDS } from './config/expiration.js';
export { compileUrlPattern, UrlPatternError, type UrlPattern, type UrlMatch, type MatchEngine } from './config/url-pattern.js';
export { DEFAULT_SKIP_FILES, MAX_HANDLERS } from './config/app-info.js';
export type * from './config/types.js';

// Routing
export { RouteTable, type RouteMatch } from './router/route-table.js';

// Handlers
export { staticFiles, type StaticFilesOptions, type StaticFilesMiddleware, type StaticServingOptions } from './handlers/static/index.js';
export { secure, secureResponse, type SecureOptions } from './handlers/secure.js';
export { hsts, hstsHeaderValue, type HstsOptions } from './handlers/hsts.js';
export {
  login,
  checkLogin,
  devLoginPages,
  devUserSource,
  type LoginOptions,
  type LoginMiddlewareOptions,
  type DevLoginPagesOptions,
} from './handlers/login/index.js';
export { writeResponse, type Middleware, type ResponseDescription } from './handlers/response.js';

// The request envelope
export {
  envelope,
  compileEnvelope,
  configureServer,
  compileEnvironment,
  requestLogger,
  jsonLogger,
  silentLogger,
  type Envelope,
  type EnvelopeOptions,
  type EnvelopeLimits,
  type GeoLookup,
  type ServerTimeouts,
  type AppEngineEnvironment,
  type EnvironmentOptions,
  type Logger,
  type LogFn,
  type Severity,
  type JsonLoggerOptions,
} from './envelope/index.js';
export { compileForwarding, DEFAULT_SECURE_SCHEME_HEADERS, type TrustProxy, type SecureSchemeHeaders, type ForwardingOptions, type Forwarded } from './envelope/forwarding.js';
export { decodeRequestPath, DEFAULT_MAX_PATH_LENGTH, type RequestPath } from './envelope/request-path.js';
export { userHeaders, userEnvironment, type UserSource } from './envelope/user.js';
export type { AppEngineRequest, AppEngineUser } from './envelope/context.js';
export { checkHost, type HostOptions } from './envelope/host.js';
export { compileFrontend, type Frontend, type FrontendOptions } from './envelope/frontend.js';
export { applyDynamicResponseRules, DEFAULT_RESPONSE_LIMIT, type AppResponse } from './envelope/response-rules.js';
export { userAgentTakesGzip, type CompressionOptions } from './envelope/compression.js';
export { cacheLifetime, type FrontendCacheOptions } from './envelope/frontend-cache.js';

// Backends: WSGI script handlers, and the process and pool machinery every backend shares
export * from './backends/index.js';
export * from './deploy/index.js';
