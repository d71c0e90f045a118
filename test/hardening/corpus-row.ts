/** The shape of one corpus row: raw bytes in, an exact status (and checks) out. */
import assert from 'node:assert/strict';
import type { RawOutcome } from './raw.js';

/** Which corpus server a row goes to (see corpus.test.ts). */
export type ServerName = 'untrusted' | 'trusted' | 'proxy' | 'streamed' | 'stalled';

export interface RowContext {
  port: number;
  /** Where the fixture apps write pid files. */
  state: string;
}

export interface Row {
  /** The catalogue row (`§2.1 #5`), or `§0.N+` for a case the rule implies beyond the catalogue. */
  id: string;
  /** The §0 rule it exercises; 0 for catalogue rows under no single rule (limits, framing). */
  rule: number;
  what: string;
  /** Sent as-is (latin1 for strings); an array is written part by part. */
  send: string | Array<string | Buffer>;
  /** The exact status; 0 means the server closed the connection without answering. */
  status: number;
  /** Default `untrusted`. */
  server?: ServerName;
  /** Further assertions on the outcome. */
  check?: (reply: RawOutcome, ctx: RowContext) => void | Promise<void>;
  /** How long to wait for the server, ms (default 8000). */
  timeout?: number;
}

/** The body is exactly `text`. */
export const bodyIs =
  (text: string) =>
  (reply: RawOutcome): void =>
    assert.equal(reply.body, text);

/** The Location header is exactly `location`. */
export const locationIs =
  (location: string) =>
  (reply: RawOutcome): void =>
    assert.equal(reply.headers.location, location);

/** A redirect built safely (rule 4): the given Location, a body with no link or markup from the request, CSP and nosniff. */
export const safeRedirect =
  (location: string) =>
  (reply: RawOutcome): void => {
    assert.equal(reply.headers.location, location);
    assert.ok(!/<a[\s>]|href|script/i.test(reply.body), `redirect body carries a link or script: ${reply.body}`);
    assert.equal(reply.headers['content-security-policy'], "default-src 'none'");
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  };

/** Environment lines (`HTTP_X=...`) the backend reported, as a map. */
export function environ(reply: RawOutcome): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of reply.body.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/** The backend saw none of `names` (HTTP_* keys), and did see its Host (so the check ran on a real environ). */
export const backendLacks =
  (...names: string[]) =>
  (reply: RawOutcome): void => {
    const env = environ(reply);
    assert.equal(env.get('HTTP_HOST'), 'app.test', `not an environ listing: ${reply.body.slice(0, 200)}`);
    for (const name of names) assert.ok(!env.has(name), `the backend saw ${name}=${env.get(name)}`);
  };

/** The backend saw `name` with exactly `value`. */
export const backendSees =
  (name: string, value: string | RegExp) =>
  (reply: RawOutcome): void => {
    const seen = environ(reply).get(name);
    if (typeof value === 'string') assert.equal(seen, value, `${name}`);
    else assert.match(seen ?? '', value, `${name}`);
  };

/** Runs several checks in order. */
export const all =
  (...checks: Array<(reply: RawOutcome, ctx: RowContext) => void | Promise<void>>) =>
  async (reply: RawOutcome, ctx: RowContext): Promise<void> => {
    for (const check of checks) await check(reply, ctx);
  };
