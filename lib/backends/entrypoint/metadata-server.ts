import { createHash } from 'node:crypto';
import http from 'node:http';
import { hostname } from 'node:os';

/** What the metadata server tells the app about itself. */
export interface MetadataValues {
  /** `project/project-id`. */
  projectId: string;
  /** `project/numeric-project-id`. Default: a 12-digit number derived from the project id. */
  numericProjectId?: string;
  /** `instance/id`. Default: a 19-digit number derived from the project id and the port. */
  instanceId?: string;
  /** `instance/zone`'s last part. Default `us-central1-a`. */
  zone?: string;
  /** `instance/hostname`. Default: this machine's host name. */
  hostname?: string;
}

/** A started metadata server. */
export interface MetadataServer {
  /** `127.0.0.1:<port>`: what `GCE_METADATA_HOST` gets. */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const PREFIX = '/computeMetadata/v1/';

/** A stable decimal number of `digits` digits (no leading zero) from `seed`. */
function number(seed: string, digits: number): string {
  const value = BigInt(`0x${createHash('sha256').update(seed).digest('hex')}`);
  const low = 10n ** BigInt(digits - 1);
  return (low + (value % (9n * low))).toString();
}

/** The tree a Compute Engine metadata server shows, for the values App Engine apps read. */
function tree(values: MetadataValues, port: number): Record<string, unknown> {
  const numeric = values.numericProjectId ?? number(`project:${values.projectId}`, 12);
  const zone = `projects/${numeric}/zones/${values.zone ?? 'us-central1-a'}`;
  return {
    project: { 'project-id': values.projectId, 'numeric-project-id': numeric },
    instance: {
      id: values.instanceId ?? number(`instance:${values.projectId}:${port}`, 19),
      zone,
      region: zone.replace(/\/zones\/(.*)-[a-z]$/, '/regions/$1'),
      hostname: values.hostname ?? hostname(),
      'network-interfaces': { '0': { ip: '127.0.0.1', 'access-configs': { '0': { 'external-ip': '127.0.0.1', type: 'ONE_TO_ONE_NAT' } } } },
    },
  };
}

/** `?recursive=true`'s JSON: the metadata server writes names in camelCase and lists as arrays. */
function recursiveJson(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node);
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) return entries.map(([, v]) => recursiveJson(v));
  return Object.fromEntries(entries.map(([k, v]) => [k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), recursiveJson(v)]));
}

/**
 * Starts an emulation of the Compute Engine metadata server on `127.0.0.1:port` (0: any free
 * port) for Google's client libraries: requests without `Metadata-Flavor: Google` get 403, as
 * on Compute Engine; leaves answer as text, directories list their entries, `?recursive=true`
 * answers JSON; anything else is 404.
 */
export function startMetadataServer(values: MetadataValues, port = 0): Promise<MetadataServer> {
  const server = http.createServer((req, res) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Metadata-Flavor': 'Google', 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Server: 'Metadata Server for VM' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.headers['metadata-flavor'] !== 'Google' && req.headers['x-google-metadata-request'] !== 'True') {
      return send(403, 'text/html; charset=UTF-8', 'Missing required header "Metadata-Flavor": "Google"\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    if (path === '/' || path === '/computeMetadata/' || path === '/computeMetadata') return send(200, 'application/text', 'v1/\n');
    if (!path.startsWith(PREFIX) && path !== PREFIX.slice(0, -1)) return send(404, 'text/html; charset=UTF-8', 'Not Found\n');
    let node: unknown = tree(values, address.port);
    for (const part of path.slice(PREFIX.length).split('/').filter(Boolean)) {
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
      if (node === undefined) return send(404, 'text/html; charset=UTF-8', 'Not Found\n');
    }
    if (/(^|&)recursive=true(&|$)/.test(query)) return send(200, 'application/json', JSON.stringify(recursiveJson(node)));
    if (typeof node === 'object' && node !== null) {
      return send(200, 'application/text', Object.entries(node).map(([k, v]) => (typeof v === 'object' ? `${k}/` : k)).join('\n') + '\n');
    }
    send(200, 'application/text', String(node));
  });
  let address = { port };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      address = server.address() as { port: number };
      server.unref();
      resolve({
        host: `127.0.0.1:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((ok) => {
            server.closeAllConnections();
            server.close(() => ok());
          }),
      });
    });
  });
}
