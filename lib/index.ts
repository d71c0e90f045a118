/**
 * appyaml: serve a web app the way Google App Engine does, from its app.yaml.
 * `appYaml()` composes every part; each part is also exported to be used on its own.
 */
export { loadAppYaml, checkAppYaml, type AppYamlSource, type AppYamlCheck } from './config/load.js';
export { ConfigError, formatProblem, type ConfigProblem, type SourcePosition } from './config/errors.js';
export { parseExpiration, ExpirationError, MAX_EXPIRATION_SECONDS } from './config/expiration.js';
export { compileUrlPattern, UrlPatternError, type UrlPattern, type UrlMatch, type MatchEngine } from './config/url-pattern.js';
export { DEFAULT_SKIP_FILES, MAX_HANDLERS } from './config/app-info.js';
export type * from './config/types.js';
export { RouteTable, type RouteMatch } from './router/route-table.js';
export { appYaml, type AppYamlOptions } from './app-yaml.js';
export { staticFiles, type StaticFilesOptions } from './handlers/static/index.js';
