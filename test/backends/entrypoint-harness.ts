/** Real servers for the entrypoint tests: envelope → route → EntrypointBackend → a real gunicorn (or python) server. */
import { EntrypointBackend, type EntrypointOptions } from '../../lib/backends/entrypoint/backend.js';
import type { AppConfig } from '../../lib/config/types.js';
import type { EnvelopeOptions, Logger } from '../../lib/envelope/index.js';
import { makeApp, PYTHON, startBackendServer, type BackendServer } from './harness.js';

export { fetch, logged, makeApp, processesIn, waitFor, PYTHON, type Reply } from './harness.js';

export type EntrypointServer = BackendServer<EntrypointBackend>;

export interface ServerOptions {
  envelope?: Omit<EnvelopeOptions, 'config' | 'logger'>;
  entrypoint?: Omit<EntrypointOptions, 'config' | 'logger'>;
  /** Serve without the envelope: the backend alone, as `entrypoint()` mounted by itself. */
  bare?: boolean;
}

/** Serves the app in `root` as appYaml() would for the entrypoint, on 127.0.0.1, WebSocket upgrades included. */
export function startServer(root: string, options: ServerOptions = {}): Promise<EntrypointServer> {
  const make = (config: AppConfig, logger: Logger) => new EntrypointBackend({ python: PYTHON, ...options.entrypoint, config, logger });
  return startBackendServer(root, make, { envelope: options.envelope, bare: options.bare });
}

/** A temp app: `app.yaml` from `lines`, plus `files`. */
export function app(lines: string[], files: Record<string, string> = {}): string {
  return makeApp({ 'app.yaml': `${lines.join('\n')}\n`, ...files });
}

/** A flex app.yaml running `entrypoint` (Debian's gunicorn and python). */
export function flex(entrypoint: string, ...lines: string[]): string[] {
  return ['runtime: python', 'env: flex', `entrypoint: ${entrypoint}`, ...lines];
}

/** A Flask app that reports what it sees: pid, scheme, remote addr, headers, environment. */
export const FLASK_MAIN = String.raw`
import os, time, json
from flask import Flask, request, Response

app = Flask(__name__)

@app.route('/')
def hello():
    return 'hello'

@app.route('/pid')
def pid():
    return str(os.getpid()) + ' ' + str(os.getppid())

@app.route('/seen', methods=['GET', 'POST'])
def seen():
    return json.dumps({
        'scheme': request.scheme,
        'url': request.url,
        'remote_addr': request.remote_addr,
        'headers': {k.lower(): v for k, v in request.headers.items()},
        'body': request.get_data(as_text=True),
        'env': {k: v for k, v in os.environ.items() if k.startswith(('GAE_', 'GOOGLE_', 'GCE_', 'PORT', 'MY_'))},
    })

@app.route('/meta')
def meta():
    import urllib.request
    req = urllib.request.Request('http://%s/computeMetadata/v1/project/project-id' % os.environ['GCE_METADATA_HOST'], headers={'Metadata-Flavor': 'Google'})
    return urllib.request.urlopen(req, timeout=5).read()

@app.route('/hop')
def hop():
    r = Response('hop')
    r.headers['Keep-Alive'] = 'timeout=5'
    r.headers['X-Drop-Me'] = '1'
    r.headers['Connection'] = 'X-Drop-Me'
    r.headers['X-Kept'] = 'yes'
    return r

@app.route('/slow')
def slow():
    time.sleep(float(request.args.get('s', '1')))
    return 'slow'

@app.route('/big')
def big():
    n = int(request.args['n'])
    return Response(b'x' * n, mimetype='application/octet-stream')
`;

/** A node:http upstream (run as the entrypoint with Node itself) for the proxy's rules: echo, hop-by-hop, sizes, resets, WebSocket. */
export const NODE_UPSTREAM = String.raw`
import http from 'node:http';
import { createHash } from 'node:crypto';

const MIB = 1024 * 1024;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://upstream');
  const n = Number(url.searchParams.get('n') ?? 0);
  if (url.pathname === '/echo') {
    let length = 0;
    req.on('data', (c) => (length += c.length));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, length }));
    });
    return;
  }
  if (url.pathname === '/hop') {
    res.writeHead(200, ['Connection', 'X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'Proxy-Authenticate', 'Basic', 'Trailer', 'X-T', 'Upgrade', 'h2c', 'X-Kept', 'yes', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    return res.end('hop');
  }
  if (url.pathname === '/size') {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    let left = n;
    const chunk = Buffer.alloc(MIB, 120);
    const pump = () => {
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(left, MIB));
        left -= part.length;
        if (!res.write(part)) return res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (url.pathname === '/declared') {
    res.writeHead(200, { 'Content-Length': String(n) });
    return res.write('0123456789');
  }
  if (url.pathname === '/reset') {
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('0123456789');
    return setTimeout(() => req.socket.destroy(), 50);
  }
  res.end('upstream');
});
server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/ws') return socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n');
  const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\nX-Seen-Forwarded-For: ' + req.headers['x-forwarded-for'] + '\r\n\r\n');
  if (head.length) socket.write(Buffer.concat([Buffer.from('echo:'), head]));
  socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
  socket.on('error', () => {});
});
server.listen(Number(process.env.PORT), '127.0.0.1');
`;
