/**
 * Invalid `handlers` entries (spec app-engine.md §1.2–§1.4, §3.1; security.md §2.5 rows 100–106).
 * Every app.yaml here is python27: `runtime` is line 1, `threadsafe` line 2, `handlers:` line 3,
 * and the first handler starts on line 4 (`- url:` value at column 8).
 */
import { py27, yaml } from '../helpers/app-dir.js';
import { row, runRows, type InvalidRow } from '../helpers/invalid-rows.js';

/** app.yaml with one handler made of `lines` (the first starts with "- "). */
const handler = (...lines: string[]) => py27('handlers:', ...lines);
const staticDir = (...more: string[]) => handler('- url: /s', '  static_dir: static', ...more);
/** One static_dir handler with `http_headers` (header lines start on line 7). */
const headers = (...lines: string[]) => staticDir('  http_headers:', ...lines.map((l) => `    ${l}`));
/** A script handler with this url (a quoted YAML scalar, so backslashes stay as written). */
const urlRow = (name: string, url: string, message: RegExp, more: Partial<InvalidRow> = {}) =>
  row(name, handler(`- url: '${url}'`, '  script: main.app'), 'handlers[0].url', [4, 8], message, more);
const expirationRow = (value: string, message: RegExp) =>
  row(`expiration ${value}`, staticDir(`  expiration: ${value}`), 'handlers[0].expiration', [6, 15], message);
const BAD_EXPIRATION = /is not a valid expiration: each part is a whole number with an optional unit d, h, m or s, separated by spaces/;

const FORBIDDEN_HEADERS = [
  // request-only
  'Accept', 'Accept-Encoding', 'Authorization', 'Host', 'If-None-Match', 'Range', 'Referer', 'User-Agent',
  // hop-by-hop
  'Connection', 'Keep-Alive', 'Proxy-Authenticate', 'Proxy-Authorization', 'TE', 'Trailers', 'Transfer-Encoding', 'Upgrade',
  // set by the frontend
  'Content-Encoding', 'Content-Length', 'Date', 'Server',
];

runRows([
  // url validity (§1.2, §1.3)
  row('handler without url', handler('- script: main.app'), 'handlers[0]', [4, 3], /^a handler needs a "url"$/),
  urlRow('url starting with ^', '^/foo', /^a url must not start with "\^": patterns are already anchored at both ends$/),
  urlRow('url foo', 'foo', /^"foo" is not a valid url: it must start with "\/" \(or be a group that does not end in "\$"\)$/),
  urlRow('url *', '*', /^"\*" is not a valid url/),
  urlRow('url \\/x', '\\/x', /^"\\\/x" is not a valid url/),
  urlRow('url (/.*)$', '(/.*)$', /^"\(\/\.\*\)\$" is not a valid url/),
  urlRow('url (', '(', /^"\(" is not a valid url/),
  urlRow('url ()', '()', /^"\(\)" is not a valid url/),

  // handler keys and types (§1.2)
  row('unknown key static_dirs', handler('- url: /s', '  static_dirs: static'), 'handlers[0].static_dirs', [5, 3], /^unknown key "static_dirs" in a handler; did you mean "static_dir"\?$/, { total: 2 }),
  row('unknown key scrpit beside a type', staticDir('  scrpit: main.app'), 'handlers[0].scrpit', [6, 3], /^unknown key "scrpit" in a handler; did you mean "script"\?$/),
  row('two handler types (static_files, static_dir)', handler('- url: /s', '  static_files: a.html', '  upload: a.html', '  static_dir: static'), 'handlers[0].static_dir', [7, 3], /^"static_dir" cannot be combined with "static_files" in one handler$/),
  row('two handler types (static_dir, script)', handler('- url: /s', '  script: main.app', '  static_dir: static'), 'handlers[0].script', [5, 3], /^"script" cannot be combined with "static_dir" in one handler$/),
  row('no handler type', handler('- url: /s', '  secure: always'), 'handlers[0]', [4, 3], /^a handler needs one of static_files, static_dir or script$/),
  row('static_files without upload', handler('- url: /s', '  static_files: a.html'), 'handlers[0]', [5, 3], /^a static_files handler needs "upload"/),
  row('upload with static_dir', staticDir('  upload: static/.*'), 'handlers[0].upload', [6, 3], /^"upload" is not allowed with static_dir/),
  row('mime_type on a script', handler('- url: /s', '  script: main.app', '  mime_type: text/html'), 'handlers[0].mime_type', [6, 3], /^"mime_type" only applies to static handlers$/),
  row('expiration on a script', handler('- url: /s', '  script: main.app', '  expiration: 1d'), 'handlers[0].expiration', [6, 3], /^"expiration" only applies to static handlers$/),
  row('http_headers on a script', handler('- url: /s', '  script: main.app', '  http_headers: {X-A: b}'), 'handlers[0].http_headers', [6, 3], /^"http_headers" only applies to static handlers$/),
  row('mime_type not a media type', staticDir('  mime_type: text'), 'handlers[0].mime_type', [6, 14], /^"text" is not valid: must be a media type like text\/html$/),
  row('mime_type with a Content-Type header', staticDir('  mime_type: text/html', '  http_headers:', '    Content-Type: text/html'), 'handlers[0].mime_type', [6, 3], /^mime_type and a Content-Type in http_headers cannot both be set$/),
  row('secure: yes', staticDir('  secure: yes'), 'handlers[0].secure', [6, 11], /^"yes" is not allowed; use one of optional, always, never, default$/),
  row('login: Required (lower case only)', staticDir('  login: Required'), 'handlers[0].login', [6, 10], /^"Required" is not allowed; use one of optional, required, admin \(did you mean "required"\?\)$/),
  row('auth_fail_action: deny', staticDir('  auth_fail_action: deny'), 'handlers[0].auth_fail_action', [6, 21], /^"deny" is not allowed; use one of redirect, unauthorized$/),
  row('redirect_http_response_code 308', staticDir('  secure: always', '  redirect_http_response_code: 308'), 'handlers[0].redirect_http_response_code', [7, 32], /^"308" is not allowed; use one of 301, 302, 303, 307/),
  row('require_matching_file on a script', handler('- url: /s', '  script: main.app', '  require_matching_file: true'), 'handlers[0].require_matching_file', [6, 3], /only applies to static handlers$/),

  // paths (§1.2, security 104)
  row('static_dir ../../etc', handler('- url: /s', '  static_dir: ../../etc'), 'handlers[0].static_dir', [5, 15], /^static_dir must not contain "\.\." segments$/),
  row('static_dir /etc', handler('- url: /s', '  static_dir: /etc'), 'handlers[0].static_dir', [5, 15], /^static_dir must be relative to the app folder, not absolute$/),
  row('static_dir url with a group', handler('- url: /s(.*)', '  static_dir: static'), 'handlers[0].url', [4, 8], /^a static_dir url is a plain prefix; "\(" is not allowed \(use static_files for patterns\)$/),
  row('static_dir url with *', handler('- url: /static/*', '  static_dir: static'), 'handlers[0].url', [4, 8], /^a static_dir url is a plain prefix; "\*" is not allowed/),
  row('static_files /abs', handler('- url: /s', '  static_files: /abs/a.html', '  upload: a.html'), 'handlers[0].static_files', [5, 17], /^static_files must be relative to the app folder, not absolute$/),
  row('static_files with ..', handler('- url: /(.*)', '  static_files: static/../\\1', '  upload: .*'), 'handlers[0].static_files', [5, 17], /^static_files must not contain "\.\." segments$/),
  row('\\2 with one group', handler('- url: /(.*)', '  static_files: static/\\2', '  upload: static/.*'), 'handlers[0].static_files', [5, 17], /^\\2 refers to a group the url pattern does not have \(it has 1\)$/),
  row('\\g<nope>', handler('- url: /(?P<name>.*)', '  static_files: static/\\g<nope>', '  upload: static/.*'), 'handlers[0].static_files', [5, 17], /^\\g<nope> names no group of the url pattern$/),
  row('\\1 in a script with no groups', handler('- url: /a', '  script: \\1.app'), 'handlers[0].script', [5, 11], /^\\1 refers to a group the url pattern does not have \(it has 0\)$/),
  row('invalid upload regex', handler('- url: /a', '  static_files: a', '  upload: a('), 'handlers[0].upload', [6, 11], /^invalid upload pattern: unbalanced "\("$/),
  row('python27 script that is neither WSGI nor CGI', handler('- url: /a', '  script: main'), 'handlers[0].script', [5, 11], /^"main" is neither a WSGI application path \(main\.app\) nor a CGI script \(main\.py\)$/),
  row('script not auto on python312', yaml('runtime: python312', 'handlers:', '- url: /.*', '  script: main.app'), 'handlers[0].script', [4, 11], /^on second-generation runtimes "script" must be "auto"/),
  row('api_endpoint', handler('- url: /_ah/api/.*', '  api_endpoint: on'), 'handlers[0].api_endpoint', [5, 3], /^api_endpoint handlers \(Cloud Endpoints v1\) are not supported$/),

  // http_headers (§1.4): every class of forbidden name
  ...FORBIDDEN_HEADERS.map((name) => row(`http_headers ${name}`, headers(`${name}: x`), `handlers[0].http_headers.${name}`, [7, 5], new RegExp(`^"${name}" cannot be set in http_headers$`))),
  row('http_headers X-AppEngine-Country', headers('X-AppEngine-Country: US'), 'handlers[0].http_headers.X-AppEngine-Country', [7, 5], /^"X-AppEngine-Country" is reserved for App Engine$/),
  row('http_headers x-appengine-anything (any case)', headers('x-appengine-anything: z'), 'handlers[0].http_headers.x-appengine-anything', [7, 5], /is reserved for App Engine$/),
  row('http_headers name with a space', headers('"X Foo": x'), 'handlers[0].http_headers.X Foo', [7, 5], /^"X Foo" is not a valid header name$/),
  row('http_headers non-ASCII value', headers('X-Foo: "caf\\u00e9"'), 'handlers[0].http_headers.X-Foo', [7, 5], /^the value of "X-Foo" must be printable ASCII$/),
  row('http_headers line of 500 characters', headers(`X-Foo: ${'v'.repeat(491)}`), 'handlers[0].http_headers.X-Foo', [7, 5], /^"X-Foo: v{20}…" is longer than 500 characters$/),
  row('http_headers Set-Cookie over 4096', headers(`Set-Cookie: ${'c'.repeat(4097)}`), 'handlers[0].http_headers.Set-Cookie', [7, 5], /^the value of "Set-Cookie" is longer than 4096 characters$/),
  row('http_headers Location over 2047', headers(`Location: /${'l'.repeat(2047)}`), 'handlers[0].http_headers.Location', [7, 5], /^the value of "Location" is longer than 2047 characters$/),
  row('http_headers same name twice in other case', headers('X-A: a', 'x-a: b'), 'handlers[0].http_headers.x-a', [8, 5], /^"x-a" is set twice$/, {
  }),
  row('http_headers forbidden name after an allowed one', headers('X-Frame-Options: DENY', 'Connection: close'), 'handlers[0].http_headers.Connection', [8, 5], /^"Connection" cannot be set in http_headers$/, {
  }),

  // the url dialect (§1.3, security 101)
  urlRow('url with a lookahead', '/(?=a)b', /^lookahead and lookbehind are not supported .* \(at character 2\)$/),
  urlRow('url with a lookbehind', '/(?<!a)b', /^lookahead and lookbehind are not supported/),
  urlRow('url with (?i)', '(?i)/a', /^inline flags such as \(\?i\) are not supported; url matching is case-sensitive, as on App Engine \(at character 1\)$/),
  urlRow('url with a POSIX class', '/[[:alpha:]]+', /^POSIX classes such as \[:alpha:\] are not supported; use \\w, \\d or an explicit range \(at character 3\)$/),
  urlRow('url with a back-reference', '/(a)\\1', /^back-references are not allowed in url patterns; use \\1 in static_files or script instead \(at character 5\)$/),
  urlRow('url with a named back-reference', '/(?P<x>a)(?P=x)', /^back-references are not allowed in url patterns/),
  urlRow('url with \\Z', '/a\\Z', /^\\Z is not supported; url patterns are always anchored at both ends \(at character 3\)$/),
  urlRow('url with \\A', '/\\Aa', /^\\A is not supported/),
  urlRow('url with a possessive a++', '/a++', /^possessive quantifiers are not supported \(at character 4\)$/),
  urlRow('url with {,2000}', '/a{,2000}', /^repeat counts above 1000 are not allowed \(at character 3\)$/),
  urlRow('url with a JavaScript named group', '/(?<n>a)', /^named groups are written \(\?P<name>\.\.\.\) in App Engine patterns/),
  urlRow('url with an unbalanced )', '/a)', /^unbalanced "\)" \(at character 3\)$/),
  urlRow('url with an unterminated [', '/[a', /^unterminated character class "\[" \(at character 2\)$/),

  // catastrophic backtracking (security 100)
  urlRow('ReDoS /(a+)+$', '/(a+)+$', /can backtrack catastrophically/),
  urlRow('ReDoS /(\\w+\\s*)+$', '/(\\w+\\s*)+$', /can backtrack catastrophically/),
  urlRow('ReDoS /(a|a)*x', '/(a|a)*x', /can backtrack catastrophically/),

  // expiration (§3.1, security 106)
  expirationRow('1d2h', BAD_EXPIRATION),
  expirationRow('1.5h', BAD_EXPIRATION),
  expirationRow('1w', BAD_EXPIRATION),
  expirationRow('1.5', BAD_EXPIRATION),
  expirationRow("''", /^an empty expiration is not valid; use e\.g\. "1d 2h" or "0"$/),
  expirationRow('"1x"', /^"1x" is not a valid expiration/),
  expirationRow('"-1d"', /^"-1d" is not a valid expiration/),
  expirationRow('"1 month"', /^"1 month" is not a valid expiration/),
  expirationRow('"99999999999d"', /^"99999999999d" is longer than 2147483647 seconds/),
  row('default_expiration 1d2h', py27('default_expiration: 1d2h'), 'default_expiration', [3, 21], BAD_EXPIRATION),
]);
