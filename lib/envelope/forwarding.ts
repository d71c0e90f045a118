import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';

/**
 * Which peers' forwarding headers are believed, as in Express's `trust proxy`: `true` (every
 * peer), `false` (none), a number of hops, an address or CIDR (or a list of them, or the names
 * `loopback`, `linklocal`, `uniquelocal`), or a function. Default: `loopback`.
 */
export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/**
 * Request headers that mean "the client used https" when a trusted peer sends them, like
 * gunicorn's `secure_scheme_headers`: header name → the value that means https.
 */
export type SecureSchemeHeaders = Readonly<Record<string, string>>;

export const DEFAULT_SECURE_SCHEME_HEADERS: SecureSchemeHeaders = { 'X-Forwarded-Proto': 'https', 'X-AppEngine-Https': 'on' };

export interface ForwardingOptions {
  trustProxy?: TrustProxy;
  secureSchemeHeaders?: SecureSchemeHeaders;
}

/** What a request's forwarding headers are taken to mean. */
export interface Forwarded {
  scheme: 'http' | 'https';
  /** The client's address: the socket's peer, or the first untrusted hop of X-Forwarded-For. */
  clientIp: string;
  /** Whether the direct peer is a trusted proxy (its forwarding headers were believed). */
  viaTrustedProxy: boolean;
}

function compileTrust(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (typeof trust === 'function') return trust;
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  const list = typeof trust === 'string' ? trust.split(',').map((s) => s.trim()) : [...trust];
  // proxy-addr refuses a /0 range, so "everyone" cannot be written as CIDRs.
  if (list.includes('*')) return () => true;
  return proxyaddr.compile(list);
}

/** Compiles the options once; the returned function decides scheme and client address per request. */
export function compileForwarding(options: ForwardingOptions = {}): (req: IncomingMessage) => Forwarded {
  const trust = compileTrust(options.trustProxy ?? 'loopback');
  const secure = Object.entries(options.secureSchemeHeaders ?? DEFAULT_SECURE_SCHEME_HEADERS).map(
    ([name, value]) => [name.toLowerCase(), value.toLowerCase()] as const,
  );
  // Whether a connection's peer is a trusted proxy: asked once per connection, not per request.
  const peers = new WeakMap<Socket, boolean>();
  return (req) => {
    const socket = req.socket;
    const peer = socket.remoteAddress ?? '';
    let viaTrustedProxy = peers.get(socket);
    if (viaTrustedProxy === undefined) peers.set(socket, (viaTrustedProxy = peer !== '' && trust(peer, 0)));
    let scheme: 'http' | 'https' = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
    if (!viaTrustedProxy) return { scheme, clientIp: peer, viaTrustedProxy };
    // [peer, ...X-Forwarded-For from the right], cut after the first untrusted address: the
    // client is the last entry, and every entry before it is a trusted proxy.
    const chain = req.headers['x-forwarded-for'] === undefined ? [peer] : proxyaddr.all(req, trust);
    for (const [name, value] of secure) {
      const header = req.headers[name];
      if (header === undefined) continue;
      // A proxy that appends ("https, http") writes the scheme it received from the hop before
      // it; the entry written by the outermost trusted proxy is the client's. Entries further
      // left came from beyond it (possibly the client itself) and are not believed. A chain
      // shorter than that means some proxy overwrote the header, so its first entry is trusted.
      const values = (Array.isArray(header) ? header.join(',') : header).split(',');
      const entry = values[Math.max(0, values.length - Math.max(1, chain.length - 1))]!;
      scheme = entry.trim().toLowerCase() === value ? 'https' : 'http';
      break;
    }
    return { scheme, clientIp: chain[chain.length - 1]!, viaTrustedProxy };
  };
}
