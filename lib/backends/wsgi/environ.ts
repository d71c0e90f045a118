import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../../config/types.js';
import type { AppEngineEnvironment } from '../../envelope/environment.js';

/**
 * The per-request part of a WSGI environ (PEP 3333, app-engine.md §5), built in Node so that
 * every filter is Node's: the CGI variables, `HTTP_*` from the headers the envelope left, the
 * trusted scheme and client address, and App Engine's per-request variables (`HTTPS`,
 * `REQUEST_LOG_ID`, `USER_*`...). Values are native strings as PEP 3333 wants them: the bytes
 * read as Latin-1 (Node's header and URL strings already are).
 *
 * Returned as flat pairs (`[key, value, key, value...]`), the order the H frame carries them in.
 * `contentLength` is the body's length when known (Content-Length, or a chunked body that was
 * read whole first); the bridge adds the `wsgi.*` objects.
 */
export function requestEnviron(req: IncomingMessage, environment: AppEngineEnvironment, contentLength: number | undefined): string[] {
  const facts = req.appEngine!;
  const scheme = facts.scheme;
  const [serverName, serverPort] = serverAddress(req, scheme);
  const pairs = [
    'REQUEST_METHOD', req.method ?? 'GET',
    'SCRIPT_NAME', '',
    'PATH_INFO', latin1(facts.path),
    'QUERY_STRING', facts.query,
    'REQUEST_URI', req.url ?? '/',
    'SERVER_NAME', serverName,
    'SERVER_PORT', serverPort,
    'SERVER_PROTOCOL', `HTTP/${req.httpVersion}`,
    'REMOTE_ADDR', facts.clientIp,
    'wsgi.url_scheme', scheme,
  ];
  const headers = req.headers;
  if (contentLength !== undefined) {
    // The dev server's default for a body without a type.
    pairs.push('CONTENT_LENGTH', String(contentLength), 'CONTENT_TYPE', headers['content-type'] ?? 'application/x-www-form-urlencoded');
  } else if (headers['content-type'] !== undefined) {
    pairs.push('CONTENT_TYPE', headers['content-type']);
  }
  for (const name in headers) {
    const key = environKey(name);
    const value = headers[name];
    if (key && value !== undefined) pairs.push(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const appEngine = environment.request(req);
  // USER_* come from a user source as text: they go as their UTF-8 bytes, like the path.
  for (const key in appEngine) pairs.push(key, latin1(appEngine[key]!));
  return pairs;
}

/**
 * What every request of an instance shares: for python27, its process variables
 * (`APPLICATION_ID`, `CURRENT_VERSION_ID`, `SERVER_SOFTWARE`, `env_variables`...), which that
 * runtime put in each environ; second-generation apps read them from `os.environ` only.
 */
export function baseEnviron(config: Pick<AppConfig, 'environment'>, instanceEnv: Record<string, string>): Record<string, string> {
  return config.environment === 'py27' ? { ...instanceEnv } : {};
}

const environKeys = new Map<string, string>();

/**
 * `HTTP_*` for a header name, or '' for names that have their own variable (`CONTENT_*`) or that a gateway
 * must not pass (the envelope already drops them; checked again since `wsgi()` may run without
 * it): `X_Foo` would alias `X-Foo`, `Proxy` is httpoxy, the body is re-framed by the bridge.
 */
function environKey(name: string): string {
  let key = environKeys.get(name);
  if (key === undefined) {
    const dropped = name === 'content-type' || name === 'content-length' || name === 'transfer-encoding' || name === 'proxy' || name.includes('_');
    key = dropped ? '' : `HTTP_${name.toUpperCase().replaceAll('-', '_')}`;
    // Names are bounded by what clients send; so is this cache.
    if (environKeys.size < 1024) environKeys.set(name, key);
  }
  return key;
}

/** SERVER_NAME and SERVER_PORT, from Host (`[v6]:port`, `name:port`), else the local socket. */
function serverAddress(req: IncomingMessage, scheme: 'http' | 'https'): [string, string] {
  const host = req.headers.host;
  const defaultPort = scheme === 'https' ? '443' : '80';
  const match = host ? /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(host) : null;
  if (match) return [match[1]!, match[2] ?? defaultPort];
  return [req.socket.localAddress ?? 'localhost', String(req.socket.localPort ?? defaultPort)];
}

/** Text as PEP 3333 wants it: its UTF-8 bytes, read as Latin-1. */
function latin1(text: string): string {
  // eslint-disable-next-line no-control-regex -- any non-ASCII character
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}
