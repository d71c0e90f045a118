import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and httpoxy's `Proxy`: they describe one connection, never
 * the message, so the proxy drops them both ways and re-frames the body itself.
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
  'proxy-authenticate', 'proxy-authorization', 'proxy',
]);

/** What the proxy sets itself from facts it trusts; a copy from anyone else is dropped. */
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']);

/** A client's `Connection` list may not drop what frames or routes its request. */
const FRAMING = new Set(['host', 'content-length']);

/** The headers `connection` lists (lower case), which are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const tokens = new Set<string>();
  for (const token of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '') tokens.add(name);
  }
  return tokens;
}

/**
 * The request head the upstream gets, as a flat `[name, value, ...]` list in the client's order
 * (repeats kept): hop-by-hop headers and those the client's `Connection` names removed, and
 * `X-Forwarded-For`/`-Proto`/`-Host` replaced with what appyaml knows. After the envelope's
 * `handOver` (the request has a log id), its `X-Forwarded-For`/`-Proto` and `X-AppEngine-*` are the
 * trusted ones and stay; without an envelope, every `X-AppEngine-*`/`X-Google-*` and name with
 * `_` a client sent is dropped too, and the socket decides.
 */
export function upstreamRequestHeaders(req: IncomingMessage, upgrade: string | undefined): string[] {
  const raw = req.rawHeaders;
  const tokens = connectionTokens(req.headers.connection);
  const enveloped = req.appEngine?.requestLogId !== undefined;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (tokens?.has(lower) && !FRAMING.has(lower))) continue;
    if (FORWARDED.has(lower)) {
      if (enveloped && lower !== 'x-forwarded-host' && lower !== 'forwarded') out.push(name, raw[i + 1]!);
      continue;
    }
    if (!enveloped && (lower.startsWith('x-appengine-') || lower.startsWith('x-google-') || lower.includes('_'))) continue;
    out.push(name, raw[i + 1]!);
  }
  if (!enveloped) {
    const facts = req.appEngine;
    const scheme = facts?.scheme ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
    out.push('X-Forwarded-For', facts?.clientIp ?? req.socket.remoteAddress ?? '', 'X-Forwarded-Proto', scheme);
  }
  const host = req.headers.host;
  if (host !== undefined) out.push('X-Forwarded-Host', host);
  // A body whose length the client did not state is sent on in chunks of our own framing.
  if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined) out.push('Transfer-Encoding', 'chunked');
  if (upgrade !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  return out;
}

/** The upstream's response head for the client: hop-by-hop headers and those its `Connection` names removed. */
export function clientResponseHeaders(rawHeaders: readonly string[], connection: string | string[] | undefined): string[] {
  const tokens = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || tokens?.has(lower)) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}
