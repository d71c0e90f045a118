/**
 * security.md §2.2–§2.3 (headers, bodies, framing) and the cases rules 4 and 6 imply. `/secure/*`
 * is a `secure: always` static handler; the untrusted server trusts no proxy, allows only the
 * host `app.test`, and cuts a stalled body after 1 s; `/wsgi/env` lists the HTTP_* keys its app saw.
 */
import assert from 'node:assert/strict';
import { all, backendLacks, backendSees, bodyIs, safeRedirect, type Row } from './corpus-row.js';
import { get, request } from './raw.js';
import type { RawOutcome } from './raw.js';

const MiB = 1024 * 1024;

const noLocation = (reply: RawOutcome): void => assert.equal(reply.headers.location, undefined);
const oneResponse = (reply: RawOutcome): void => assert.equal(reply.statuses.length, 1, `responses: ${reply.statuses.join(', ')}`);

/** A chunked upload crossing 32 MiB in 1 KiB chunks, as one buffer. */
function chunkedOverLimit(): Buffer {
  const chunk = Buffer.concat([Buffer.from('400\r\n'), Buffer.alloc(1024, 0x61), Buffer.from('\r\n')]);
  const count = 32 * 1024 + 1;
  return Buffer.concat([...Array.from({ length: count }, () => chunk), Buffer.from('0\r\n\r\n')]);
}

export const HTTP_ROWS: Row[] = [
  // Rule 4: redirects never built from raw input.
  { id: '§2.1 #20', rule: 4, what: 'markup in a redirected query', send: get('/static/sub/./x.txt?q="><script>alert(1)</script>'), status: 302, check: safeRedirect('/static/sub/x.txt?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E') },
  { id: '§0.4+ CRLF in a redirected query', rule: 4, what: 'encoded CRLF stays encoded', send: get('/static/sub/./x.txt?%0d%0aSet-Cookie:x'), status: 302, check: all(safeRedirect('/static/sub/x.txt?%0d%0aSet-Cookie:x'), (r) => assert.equal(r.headers['set-cookie'], undefined)) },
  { id: '§1.1 CVE-2015-1164', rule: 4, what: '//host/%2e%2e', send: get('//evil.example/%2e%2e'), status: 400, check: noLocation },
  { id: '§0.4+ //host/x/.. redirect stays on this host', rule: 4, what: 'leading slashes collapsed', send: get('//evil.example/x/..'), status: 302, check: safeRedirect('/evil.example/') },
  { id: '§0.4+ ///host/. redirect stays on this host', rule: 4, what: 'three slashes', send: get('///evil.example/.'), status: 302, check: safeRedirect('/evil.example/') },
  { id: '§2.2 #41', rule: 4, what: 'secure: always, Host not allowed', send: request('GET', '/secure/ok.txt', [], '', 'evil.example'), status: 400, check: noLocation },
  { id: '§2.2 #41 (allowed host)', rule: 4, what: 'secure: always, Host allowed', send: get('/secure/ok.txt?a=1'), status: 302, check: (r) => assert.equal(r.headers.location, 'https://app.test/secure/ok.txt?a=1') },
  { id: '§2.2 #43', rule: 4, what: 'HTTP/1.1 without Host', send: request('GET', '/secure/ok.txt', [], '', null), status: 400, check: noLocation },
  { id: '§2.2 #43 (empty Host)', rule: 4, what: 'Host: (empty)', send: 'GET /secure/ok.txt HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n', status: 400, check: noLocation },
  { id: '§0.4+ Host with a path', rule: 4, what: 'Host: app.test/evil', send: request('GET', '/secure/ok.txt', [], '', 'app.test/evil'), status: 400, check: noLocation },
  { id: '§2.2 #44', rule: 4, what: 'two Host headers (secure route)', send: 'GET /secure/ok.txt HTTP/1.1\r\nHost: app.test\r\nHost: evil.example\r\nConnection: close\r\n\r\n', status: 400, check: noLocation },
  { id: '§2.2 #44 (static route)', rule: 4, what: 'two Host headers (RFC 9112 §3.2)', send: 'GET /static/ok.txt HTTP/1.1\r\nHost: app.test\r\nHost: evil.example\r\nConnection: close\r\n\r\n', status: 400 },
  { id: '§2.2 #46', rule: 4, what: 'X-Forwarded-Host from an untrusted peer', send: get('/secure/ok.txt', ['X-Forwarded-Host: evil.example']), status: 302, check: (r) => assert.equal(r.headers.location, 'https://app.test/secure/ok.txt') },
  { id: '§0.4+ X-Forwarded-Proto from an untrusted peer', rule: 4, what: 'spoofed https is not believed', send: get('/secure/ok.txt', ['X-Forwarded-Proto: https']), status: 302 },
  { id: '§2.2 #47', rule: 4, what: 'trusted proxy says https', send: get('/secure/ok.txt', ['X-Forwarded-Proto: https']), status: 200, server: 'trusted', check: bodyIs('ok file') },

  // Rule 6: spoofable headers never reach the backend.
  { id: '§2.2 #49', rule: 6, what: 'X_AppEngine_Cron (underscores)', send: get('/wsgi/env', ['X_AppEngine_Cron: true']), status: 200, check: backendLacks('HTTP_X_APPENGINE_CRON', 'HTTP_X_APPENGINE_CRON_') },
  { id: '§0.6+ X-AppEngine-Cron', rule: 6, what: 'client App Engine header', send: get('/wsgi/env', ['X-AppEngine-Cron: true', 'X-AppEngine-QueueName: q']), status: 200, check: backendLacks('HTTP_X_APPENGINE_CRON', 'HTTP_X_APPENGINE_QUEUENAME') },
  { id: '§0.6+ X-AppEngine-User-Email', rule: 6, what: 'spoofed user', send: get('/wsgi/env', ['X-AppEngine-User-Email: admin@example.com', 'X-AppEngine-User-Is-Admin: 1']), status: 200, check: backendLacks('HTTP_X_APPENGINE_USER_EMAIL', 'HTTP_X_APPENGINE_USER_IS_ADMIN') },
  { id: '§0.6+ X-AppEngine-Country replaced', rule: 6, what: 'spoofed country', send: get('/wsgi/env', ['X-AppEngine-Country: EVIL']), status: 200, check: backendSees('HTTP_X_APPENGINE_COUNTRY', 'ZZ') },
  { id: '§0.6+ X-Google-*', rule: 6, what: 'X-Google-Apps-Metadata', send: get('/wsgi/env', ['X-Google-Apps-Metadata: domain=evil']), status: 200, check: backendLacks('HTTP_X_GOOGLE_APPS_METADATA') },
  { id: '§1.4 httpoxy', rule: 6, what: 'Proxy: header', send: get('/wsgi/env', ['Proxy: http://evil.example:1']), status: 200, check: backendLacks('HTTP_PROXY') },
  { id: '§2.2 #50', rule: 6, what: 'Connection lists our own headers', send: 'GET /wsgi/env HTTP/1.1\r\nHost: app.test\r\nConnection: close, X-AppEngine-Request-Log-Id, X-AppEngine-Country\r\n\r\n', status: 200, check: all(backendSees('HTTP_X_APPENGINE_REQUEST_LOG_ID', /^[0-9a-f]{32}$/), backendSees('HTTP_X_APPENGINE_COUNTRY', 'ZZ')) },
  { id: '§0.6+ hop-by-hop headers', rule: 6, what: 'Keep-Alive, TE', send: get('/wsgi/env', ['Keep-Alive: timeout=5', 'TE: trailers']), status: 200, check: backendLacks('HTTP_KEEP_ALIVE', 'HTTP_TE') },
  { id: '§0.6+ X-Forwarded-For from an untrusted peer', rule: 6, what: 'spoofed client address', send: get('/wsgi/env', ['X-Forwarded-For: 6.6.6.6']), status: 200, check: backendSees('HTTP_X_APPENGINE_USER_IP', '127.0.0.1') },

  // §2.2 headers that are limits or framing (no single rule).
  { id: '§2.2 #53', rule: 0, what: '1000 ranges', send: get('/static/ok.txt', [`Range: bytes=${Array(1000).fill('0-0').join(',')}`]), status: 200, check: bodyIs('ok file') },
  { id: '§2.2 #55', rule: 0, what: '10 000 ETags in If-None-Match', send: get('/static/ok.txt', [`If-None-Match: ${Array(10000).fill('"abcdef"').join(',')}`]), status: 431 },
  { id: '§2.2 #56', rule: 0, what: 'If-Modified-Since: garbage', send: get('/static/ok.txt', ['If-Modified-Since: garbage']), status: 200, check: bodyIs('ok file') },
  { id: '§2.2 #58', rule: 0, what: 'Content-Length : 5', send: 'POST /wsgi/body HTTP/1.1\r\nHost: app.test\r\nContent-Length : 5\r\n\r\nhello', status: 400 },
  { id: '§2.2 #58 (Foo :bar)', rule: 0, what: 'space before a colon', send: 'GET /static/ok.txt HTTP/1.1\r\nHost: app.test\r\nFoo :bar\r\n\r\n', status: 400 },
  { id: '§2.2 #59', rule: 0, what: 'bare LF line endings', send: 'GET /static/ok.txt HTTP/1.1\nHost: app.test\nConnection: close\n\n', status: 400 },
  { id: '§3 http_strict G\\0ET', rule: 0, what: 'NUL in the method', send: 'G\x00ET /static/ok.txt HTTP/1.1\r\nHost: app.test\r\n\r\n', status: 400 },

  // §2.3 bodies and connections.
  { id: '§2.3 #61', rule: 0, what: 'Content-Length: 32 MiB + 1', send: request('POST', '/wsgi/body', [`Content-Length: ${32 * MiB + 1}`]), status: 413 },
  { id: '§2.3 #62', rule: 0, what: 'chunked body crossing 32 MiB', send: [request('POST', '/wsgi/body', ['Transfer-Encoding: chunked']), chunkedOverLimit()], status: 413, timeout: 15000 },
  { id: '§2.3 #64', rule: 0, what: 'two Content-Lengths', send: request('POST', '/wsgi/body', ['Content-Length: 5', 'Content-Length: 6'], 'hello!'), status: 400 },
  { id: '§2.3 #65', rule: 0, what: 'Transfer-Encoding twice', send: request('POST', '/wsgi/body', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '0\r\n\r\n'), status: 400 },
  { id: '§2.3 #65 (chunked, identity)', rule: 0, what: 'TE list', send: request('POST', '/wsgi/body', ['Transfer-Encoding: chunked, identity'], '0\r\n\r\n'), status: 400 },
  { id: '§2.3 #65 (xchunked)', rule: 0, what: 'unknown coding', send: request('POST', '/wsgi/body', ['Transfer-Encoding: xchunked'], '0\r\n\r\n'), status: 400 },
  { id: '§2.3 #67', rule: 0, what: 'chunk longer than its size', send: request('POST', '/wsgi/body', ['Transfer-Encoding: chunked'], '5\r\nhelloXXXX\r\n0\r\n\r\n'), status: 400 },
  { id: '§2.3 #67 (17 hex digits)', rule: 0, what: 'runaway chunk size', send: request('POST', '/wsgi/body', ['Transfer-Encoding: chunked'], '10000000000000000\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { id: '§2.3 #68', rule: 0, what: 'CL + TE with a smuggled GET', send: request('POST', '/wsgi/hello', ['Content-Length: 5', 'Transfer-Encoding: chunked'], '0\r\n\r\nGET /wsgi/env HTTP/1.1\r\nHost: app.test\r\n\r\n'), status: 400, check: oneResponse },
  { id: '§2.3 #70', rule: 0, what: 'body stalls after 1 of 1000 bytes', send: request('POST', '/wsgi/body', ['Content-Length: 1000'], 'a'), status: 408 },
  { id: '§2.3 #71', rule: 0, what: 'Expect: 100-continue over the limit', send: request('POST', '/wsgi/body', [`Content-Length: ${32 * MiB + 1}`, 'Expect: 100-continue']), status: 413, check: (r) => assert.ok(!r.text.includes('100 Continue'), 'sent 100 Continue') },
];
