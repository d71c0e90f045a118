import type { IncomingMessage } from 'node:http';
import type { AppEngineEnvironment } from '../../envelope/environment.js';
import { requestEnviron } from '../wsgi/environ.js';

/**
 * A request's CGI meta-variables (RFC 3875 §4.1, backends.md §1.1), built from the WSGI environ
 * so that both share every filter: the decoded PATH_INFO with SCRIPT_NAME '' as App Engine, the
 * trusted scheme and client address, `HTTP_*` from the headers the envelope left (never
 * `HTTP_PROXY`, no `_` names, no hop-by-hop headers), App Engine's per-request variables.
 * On top: GATEWAY_INTERFACE, PATH_TRANSLATED and SCRIPT_FILENAME (the script) and REMOTE_HOST.
 * `Authorization` is left out (§4.1.18: the server did not authenticate the request).
 *
 * Values are native strings, as in the WSGI environ (bytes read as Latin-1); `environmentText`
 * turns them into a process environment's text.
 */
export function metaVariables(req: IncomingMessage, environment: AppEngineEnvironment, script: string, contentLength: number | undefined): Record<string, string> {
  const pairs = requestEnviron(req, environment, contentLength);
  const vars: Record<string, string> = { GATEWAY_INTERFACE: 'CGI/1.1' };
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i]!;
    if (key !== 'wsgi.url_scheme' && key !== 'HTTP_AUTHORIZATION') vars[key] = pairs[i + 1]!;
  }
  vars.PATH_TRANSLATED = script;
  vars.SCRIPT_FILENAME = script;
  vars.REMOTE_HOST = vars.REMOTE_ADDR!;
  return vars;
}

/** The size of native `vars` as environment strings (`NAME=value\0`), what the kernel's limits count. */
export function environmentSize(vars: Record<string, string>): number {
  let size = 0;
  for (const key in vars) size += key.length + vars[key]!.length + 2;
  return size;
}

/** Native `vars` as the text a spawned process's environment takes. */
export function environmentText(vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key in vars) env[key] = text(vars[key]!);
  return env;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A WSGI native string (bytes as Latin-1) as environment text: its bytes read as UTF-8, which is
 * what they are for the path and nearly always for headers; a value that is not UTF-8 stays as
 * Latin-1 text rather than being dropped.
 */
function text(native: string): string {
  // eslint-disable-next-line no-control-regex -- any non-ASCII character
  if (!/[^\x00-\x7f]/.test(native)) return native;
  try {
    return utf8.decode(Buffer.from(native, 'latin1'));
  } catch {
    return native;
  }
}
