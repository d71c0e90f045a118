// One benchmark server: node bench/wsgi/server.mjs <wsgi|wsgi-single|node> <app root> <port> [instances]
//   wsgi: appyaml's envelope, routing and WSGI backend on plain node:http (what appYaml() does
//         for a script handler), from the built package (dist/); wsgi-single: the same with
//         threadsafe: false (one request per process at a time).
//   node: the same server answering hello world itself: the baseline for added latency.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAppYaml, WsgiBackend } from '../../dist/index.js';
import { serveBackend } from '../lib/backend-server.mjs';

const [mode, root, port, instances = '2'] = process.argv.slice(2);
let yaml = readFileSync(join(root, 'app.yaml'), 'utf8').replace('instances: 2', `instances: ${instances}`);
if (mode === 'wsgi-single') yaml = yaml.replace('threadsafe: true', 'threadsafe: false');
const config = loadAppYaml({ root, config: yaml });
const hello = Buffer.from('Hello, World!');
serveBackend(config, mode === 'node' ? undefined : new WsgiBackend({ config, logger: false }), port, (res) => {
  res.writeHead(200, ['Content-Type', 'text/plain', 'Content-Length', '13']);
  res.end(hello);
});
