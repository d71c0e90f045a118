import { MEDIA_TYPE } from '../header-syntax.js';
import { parseExpiration, ExpirationError } from './expiration.js';
import { httpHeaderProblem, MAX_HTTP_HEADERS } from './http-headers.js';
import type { Field, Reader } from './reader.js';
import { parseTemplate, TemplateError } from './template.js';
import type {
  AuthFailAction,
  Environment,
  HandlerConfig,
  Login,
  RedirectCode,
  Secure,
} from './types.js';
import { compileFileRegex, compileUrlPattern, escapeRegexLiteral, UrlPatternError, type UrlPattern } from './url-pattern.js';

const TYPE_KEYS = ['api_endpoint', 'static_files', 'static_dir', 'script'] as const;
const COMMON_KEYS = ['url', 'login', 'auth_fail_action', 'secure', 'redirect_http_response_code'];
const STATIC_KEYS = ['mime_type', 'expiration', 'require_matching_file', 'http_headers', 'application_readable'];
const ALL_KEYS = [...TYPE_KEYS, ...COMMON_KEYS, ...STATIC_KEYS, 'upload', 'position'];

/** SDK `_URL_REGEX`: a url starts with `/` (not `^`), with `.`, or is a group that does not end in `$`. */
const URL_SHAPE = /^(?:(?!\^)\/.*|\..*|(\(.).*(?!\$).)$/;
const WSGI_SCRIPT = /^[A-Za-z_\\][\w\\<>]*(\.[A-Za-z_\\][\w\\<>]*)+$/;

export interface HandlerContext {
  environment: Environment;
  /** True for handlers read from an `includes` file, where `position` is allowed. */
  includeFile: boolean;
  /** python27 `threadsafe: true` forbids CGI scripts. */
  threadsafe?: boolean;
}

export interface ReadHandler {
  /** Its `index` is set when the handler lists are merged. */
  handler: HandlerConfig;
  position: 'head' | 'tail';
}

/** Reads and validates one entry of `handlers`; undefined when it has errors (already recorded). */
export function readHandler(r: Reader, field: Field, ctx: HandlerContext): ReadHandler | undefined {
  const fields = r.mapping(field, ALL_KEYS, 'a handler');
  if (!fields) return undefined;
  const before = r.problems.length;
  const types = TYPE_KEYS.filter((k) => fields.has(k));
  if (types.length === 0) {
    r.error(field, 'a handler needs one of static_files, static_dir or script');
    return undefined;
  }
  const type = types[0]!;
  for (const extra of types.slice(1)) r.error(fields.get(extra)!, `"${extra}" cannot be combined with "${type}" in one handler`, 'key');
  if (type === 'api_endpoint') {
    r.error(fields.get(type)!, 'api_endpoint handlers (Cloud Endpoints v1) are not supported', 'key');
    return undefined;
  }
  for (const [key, f] of fields) {
    if (type === 'script' && (STATIC_KEYS.includes(key) || key === 'upload')) r.error(f, `"${key}" only applies to static handlers`, 'key');
    if (type === 'static_dir' && key === 'upload') r.error(f, '"upload" is not allowed with static_dir: every file in the directory is uploaded', 'key');
    if (key === 'position' && !ctx.includeFile) r.error(f, '"position" is only allowed in handlers of an included file', 'key');
  }

  const urlField = fields.get('url');
  const url = urlField ? r.string(urlField) : r.error(field, 'a handler needs a "url"');
  const pattern = url !== undefined && urlField ? readUrl(r, urlField, url, type) : undefined;
  const position = r.oneOf(fields.get('position'), ['head', 'tail'] as const) ?? 'head';
  const common = {
    url: url ?? '',
    secure: readSecure(r, fields.get('secure')),
    login: r.oneOf<Login>(fields.get('login'), ['optional', 'required', 'admin']) ?? 'optional',
    auth_fail_action: r.oneOf<AuthFailAction>(fields.get('auth_fail_action'), ['redirect', 'unauthorized']) ?? 'redirect',
    redirect_http_response_code: Number(r.oneOf(fields.get('redirect_http_response_code'), ['301', '302', '303', '307'] as const) ?? 302) as RedirectCode,
    index: 0,
  };
  const { file, line, column } = r.src.problem(field.node, field.path, '');
  const sourcePosition = { file, line, column, path: field.path };

  if (type === 'script') {
    const scriptField = fields.get('script')!;
    const script = readScript(r, scriptField, ctx);
    if (script !== undefined && pattern) checkTemplate(r, scriptField, script, pattern);
    if (r.problems.length > before || !pattern || script === undefined) return undefined;
    return { position, handler: { ...common, source: sourcePosition, type, pattern, script } };
  }

  const statics = readStaticOptions(r, fields);
  if (type === 'static_dir') {
    const dirField = fields.get('static_dir')!;
    const dir = readRelativePath(r, dirField, 'static_dir');
    if (r.problems.length > before || !pattern || dir === undefined) return undefined;
    return { position, handler: { ...common, ...statics, source: sourcePosition, type, pattern, static_dir: dir.replace(/\/+$/, '') } };
  }
  const filesField = fields.get('static_files')!;
  const files = readRelativePath(r, filesField, 'static_files');
  if (files !== undefined && pattern) checkTemplate(r, filesField, files, pattern);
  const uploadField = fields.get('upload');
  let upload: string | undefined;
  let uploadPattern: RegExp | undefined;
  if (!uploadField) {
    r.error({ ...filesField, path: field.path }, `a static_files handler needs "upload" (the regex of files it may serve)`, 'key');
  } else {
    upload = r.string(uploadField);
    if (upload !== undefined) {
      try {
        uploadPattern = compileFileRegex(upload, 'full');
      } catch (err) {
        r.error(uploadField, `invalid upload pattern: ${(err as Error).message}`);
      }
    }
  }
  if (r.problems.length > before || !pattern || files === undefined || upload === undefined || !uploadPattern) return undefined;
  return { position, handler: { ...common, ...statics, source: sourcePosition, type, pattern, static_files: files, upload, uploadPattern } };
}

function readSecure(r: Reader, field: Field | undefined): Secure {
  const value = r.oneOf(field, ['optional', 'always', 'never', 'default'] as const);
  return value === undefined || value === 'default' ? 'optional' : value;
}

function readUrl(r: Reader, field: Field, url: string, type: string): UrlPattern | undefined {
  if (type === 'static_dir') {
    const bad = /[\\^$|?*+()[\]{}]/.exec(url);
    if (!url.startsWith('/')) return r.error(field, 'a static_dir url must start with "/"');
    if (bad) return r.error(field, `a static_dir url is a plain prefix; "${bad[0]}" is not allowed (use static_files for patterns)`);
    // The directory's files are everything below the prefix: url/<rest> (spec §2.4).
    return compileUrlPattern(`${escapeRegexLiteral(url.replace(/\/+$/, ''))}/(.*)`);
  }
  if (url.startsWith('^')) return r.error(field, 'a url must not start with "^": patterns are already anchored at both ends');
  if (!URL_SHAPE.test(url)) return r.error(field, `"${url}" is not a valid url: it must start with "/" (or be a group that does not end in "$")`);
  try {
    return compileUrlPattern(url);
  } catch (err) {
    if (!(err instanceof UrlPatternError)) throw err;
    return r.error(field, `${err.message}${err.offset !== undefined ? ` (at character ${err.offset + 1})` : ''}`);
  }
}

function readScript(r: Reader, field: Field, { environment, threadsafe }: HandlerContext): string | undefined {
  const script = r.string(field);
  if (script === undefined) return undefined;
  const cgi = script.endsWith('.py') || script.includes('/');
  if (environment === 'py27' && threadsafe && cgi) return r.error(field, `threadsafe cannot be enabled with CGI handler: ${script} (use a WSGI path like main.app)`);
  if (environment === 'standard' && script !== 'auto') {
    return r.error(field, `on second-generation runtimes "script" must be "auto" (requests go to the entrypoint), not "${script}"`);
  }
  if (environment === 'py27' && !cgi && !WSGI_SCRIPT.test(script)) {
    return r.error(field, `"${script}" is neither a WSGI application path (main.app) nor a CGI script (main.py)`);
  }
  return script;
}

function checkTemplate(r: Reader, field: Field, template: string, pattern: UrlPattern): void {
  try {
    parseTemplate(template, pattern.groupCount, pattern.groupNames);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    r.error(field, err.message);
  }
}

/** A path relative to the app root that cannot name anything outside it. */
function readRelativePath(r: Reader, field: Field, what: string): string | undefined {
  const value = r.string(field);
  if (value === undefined) return undefined;
  if (value === '' || value === '.') return r.error(field, `${what} must name a path inside the app`);
  if (value.startsWith('/') || /^[A-Za-z]:/.test(value)) return r.error(field, `${what} must be relative to the app folder, not absolute`);
  if (value.includes('\0') || value.includes('\\\\')) return r.error(field, `${what} contains characters that cannot be in a path`);
  if (value.split('/').some((segment) => segment === '..')) return r.error(field, `${what} must not contain ".." segments`);
  return value;
}

function readStaticOptions(r: Reader, fields: Map<string, Field>) {
  const mimeField = fields.get('mime_type');
  const mime_type = mimeField ? r.matching(mimeField, MEDIA_TYPE, 'a media type like text/html') : undefined;
  const expField = fields.get('expiration');
  let expiration: number | undefined;
  if (expField) expiration = readExpiration(r, expField);
  const headers = readHttpHeaders(r, fields.get('http_headers'));
  if (mimeField && headers.some(([name]) => name.toLowerCase() === 'content-type')) {
    r.error(mimeField, 'mime_type and a Content-Type in http_headers cannot both be set', 'key');
  }
  return {
    mime_type,
    expiration,
    http_headers: headers,
    require_matching_file: r.bool(fields.get('require_matching_file')) ?? false,
    application_readable: r.bool(fields.get('application_readable')) ?? false,
  };
}

export function readExpiration(r: Reader, field: Field): number | undefined {
  const raw = r.string(field, 'an expiration like "4d 5h" or a number of seconds');
  if (raw === undefined) return undefined;
  try {
    return parseExpiration(raw);
  } catch (err) {
    if (!(err instanceof ExpirationError)) throw err;
    return r.error(field, err.message);
  }
}

function readHttpHeaders(r: Reader, field: Field | undefined): Array<[string, string]> {
  if (!field) return [];
  const seen = new Set<string>();
  const headers: Array<[string, string]> = [];
  for (const entry of r.entries(field, 'http_headers') ?? []) {
    const name = r.keyOf(entry);
    const value = r.string(entry);
    if (value === undefined) continue;
    const problem = httpHeaderProblem(name, value);
    if (problem) r.error(entry, problem, 'key');
    else if (seen.has(name.toLowerCase())) r.error(entry, `"${name}" is set twice`, 'key');
    seen.add(name.toLowerCase());
    headers.push([name, value]);
  }
  if (headers.length > MAX_HTTP_HEADERS) r.error(field, `at most ${MAX_HTTP_HEADERS} http_headers per handler`);
  return headers;
}
