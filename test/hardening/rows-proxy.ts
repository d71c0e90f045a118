/**
 * security.md §2.4 rows for an HTTP backend (a flex `entrypoint` behind appyaml's reverse proxy),
 * and what rule 5 implies for it: the fixture's server answers each path with one kind of broken
 * response. `proxy` buffers responses (the default), `streamed` streams them, `stalled` runs an
 * entrypoint that never opens its port (app_start_timeout_sec: 1).
 */
import assert from 'node:assert/strict';
import { all, bodyIs, type Row } from './corpus-row.js';
import { get, type RawOutcome } from './raw.js';

const noHeader = (name: string) => (reply: RawOutcome) => assert.equal(reply.headers[name], undefined, `${name} passed through`);
const oneResponse = (reply: RawOutcome) => assert.deepEqual(reply.statuses, [reply.status], 'an interim response was relayed');
const noText = (text: string) => (reply: RawOutcome) => assert.ok(!reply.text.includes(text), `relayed ${text}`);

/** A cut that the client can see: fewer body bytes than declared, or a chunked body without its last chunk. */
function cutShort(reply: RawOutcome): void {
  const declared = reply.headers['content-length'];
  const raw = reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4);
  if (declared !== undefined) assert.ok(raw.length < Number(declared), `a whole-looking body of ${raw.length} bytes`);
  else assert.ok(!raw.endsWith('0\r\n\r\n'), 'the chunked body was terminated cleanly');
}

const row = (id: string, what: string, path: string, status: number, check?: Row['check'], server: Row['server'] = 'proxy'): Row => ({
  id,
  rule: 5,
  what: `${what}: GET ${path}`,
  send: get(path),
  status,
  check,
  server,
});

export const PROXY_ROWS: Row[] = [
  row('§0.5+ proxy control', 'a valid response', '/', 200, bodyIs('ok')),
  row('§2.4 #94', '103 Early Hints, then the response', '/early', 200, all(bodyIs('final'), oneResponse, noText('</s.css>'))),
  row('§2.4 #94 (100 Continue)', 'an unasked 100, then the response', '/continue', 200, all(bodyIs('final'), oneResponse)),
  row('§2.4 #95', 'unsolicited 101', '/switch', 502, noText('raw bytes')),
  row('§2.4 #97', 'RST mid-body (buffered: nothing sent yet)', '/reset', 502),
  row('§2.4 #97 (streamed)', 'RST mid-body after the head went out', '/reset', 200, cutShort, 'streamed'),
  row('§2.4 #98', 'Content-Length: 40000000', '/huge-length', 502),
  row('§2.4 #98 (streamed)', 'Content-Length: 40000000', '/huge-length', 502, undefined, 'streamed'),
  row('§0.5+ CR inside an upstream header', 'response splitting', '/header-cr', 502, all(noHeader('set-cookie'), noHeader('x-split'))),
  row('§0.5+ upstream status 2000', 'malformed status line', '/status-garbage', 502),
  row('§2.4 #92', 'the entrypoint never opens its port', '/', 503, undefined, 'stalled'),
];
