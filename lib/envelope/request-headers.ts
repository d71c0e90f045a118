import type { IncomingMessage } from 'node:http';

/**
 * Request headers that only App Engine's frontend may set (app-engine.md §3.6, lower case):
 * a client sending one is never believed, whatever its case.
 */
const APP_ENGINE_HEADERS = [
  // Location and request facts.
  'x-appengine-country', 'x-appengine-region', 'x-appengine-city', 'x-appengine-citylatlong',
  'x-appengine-https', 'x-appengine-user-ip', 'x-appengine-remote-addr', 'x-appengine-request-log-id',
  'x-appengine-request-id-hash', 'x-appengine-default-version-hostname', 'x-appengine-datacenter',
  'x-appengine-server-name', 'x-appengine-server-port', 'x-appengine-server-protocol',
  'x-appengine-server-software', 'x-appengine-backend-id', 'x-appengine-default-namespace',
  // Users API.
  'x-appengine-user-email', 'x-appengine-user-id', 'x-appengine-user-nickname',
  'x-appengine-user-organization', 'x-appengine-user-is-admin', 'x-appengine-auth-domain',
  'x-appengine-api-ticket',
  // Internal requests: cron, task queues, app-to-app.
  'x-appengine-cron', 'x-appengine-queuename', 'x-appengine-taskname', 'x-appengine-taskretrycount',
  'x-appengine-taskexecutioncount', 'x-appengine-tasketa', 'x-appengine-taskpreviousresponse',
  'x-appengine-taskretryreason', 'x-appengine-failfast', 'x-appengine-inbound-appid',
];

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the ones App Engine lists in §3.6) and httpoxy's
 * `Proxy`. Two framing headers stay, on purpose: `Transfer-Encoding` and `Content-Length` describe
 * the body stream the app reads from `req` (Node has already de-chunked it, and Express body
 * parsers look for them to know a body exists); a backend that forwards the body re-frames it.
 * `Accept-Encoding` goes too, as on App Engine: compressing is the frontend's job (the client's
 * value stays on `req.appEngine.acceptEncoding`).
 */
const HOP_BY_HOP = [
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'proxy', 'accept-encoding',
];

/** Headers the envelope sets itself, so a client's copy is removed first (it was read before, when trusted). */
const REPLACED = ['x-forwarded-for', 'x-forwarded-proto', 'x-cloud-trace-context'];

const STRIPPED = new Set([...APP_ENGINE_HEADERS, ...HOP_BY_HOP, ...REPLACED]);

/** A client's `Connection` list may drop its own end-to-end headers, but never the ones that frame or route the request. */
const NOT_DROPPABLE = new Set(['host', 'content-length', 'transfer-encoding']);

function isStripped(name: string, connectionTokens: readonly string[] | undefined): boolean {
  return (
    STRIPPED.has(name) ||
    name.includes('_') ||
    name.startsWith('x-google-') ||
    // The dev server's private headers (fake logins, request ids, the py27 script to run).
    name.startsWith('x-appengine-fake-') ||
    name.startsWith('x-appengine-dev-') ||
    (connectionTokens !== undefined && connectionTokens.includes(name) && !NOT_DROPPABLE.has(name))
  );
}

/**
 * Removes what a client may not tell the app (security.md §0 rule 6): App Engine's own headers
 * (exact names, any case, plus the dev server's `X-AppEngine-Fake-*`/`-Dev-*`), every
 * `X-Google-*`, names with an underscore (CGI and WSGI would read `X_Foo` as `X-Foo`), hop-by-hop
 * headers, the headers the client's `Connection` lists, and the ones `setEnvelopeHeaders` sets.
 * `req.headers` and `req.rawHeaders` are changed together.
 *
 * Run it after `compileForwarding`'s function (which reads X-Forwarded-* and X-AppEngine-Https
 * from trusted peers) and before anything else reads the headers.
 */
export function stripClientHeaders(req: IncomingMessage): void {
  const headers = req.headers;
  const connection = headers.connection;
  const tokens = connection?.toLowerCase().split(',').map((t) => t.trim());
  let removed: string[] | undefined;
  for (const name in headers) {
    if (isStripped(name, tokens)) (removed ??= []).push(name);
  }
  if (!removed) return;
  for (const name of removed) delete headers[name];
  const raw = req.rawHeaders;
  let kept = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (removed.includes(name.toLowerCase())) continue;
    raw[kept++] = name;
    raw[kept++] = raw[i + 1]!;
  }
  raw.length = kept;
}

/** The request headers App Engine's frontend adds, by their canonical names; undefined ones are not sent. */
export interface EnvelopeHeaders {
  'X-AppEngine-Country': string;
  'X-AppEngine-Region'?: string | undefined;
  'X-AppEngine-City'?: string | undefined;
  'X-AppEngine-CityLatLong'?: string | undefined;
  'X-Cloud-Trace-Context': string;
  'X-Forwarded-For': string;
  'X-Forwarded-Proto': 'http' | 'https';
  'X-AppEngine-Https': 'on' | 'off';
  'X-AppEngine-User-IP': string;
  'X-AppEngine-Request-Log-Id': string;
  'X-AppEngine-Default-Version-Hostname': string;
}

/**
 * Adds the envelope's headers to `req.headers` and `req.rawHeaders`. Call it after
 * `stripClientHeaders`, which removed any client copies, so each name appears once.
 */
export function setEnvelopeHeaders(req: IncomingMessage, values: EnvelopeHeaders): void {
  const headers = req.headers;
  const raw = req.rawHeaders;
  for (const name in values) {
    const value = values[name as keyof EnvelopeHeaders];
    if (value === undefined) continue;
    headers[name.toLowerCase()] = value;
    raw.push(name, value);
  }
}
