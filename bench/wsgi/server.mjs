// One benchmark server: node bench/wsgi/server.mjs <wsgi|wsgi-single|node> <app root> <port> [instances]
//   wsgi: appyaml's envelope, routing and WSGI backend on plain node:http (what appYaml() does
//         for a script handler), from the built package (dist/); wsgi-single: the same with
//         threadsafe: false (one request per process at a time).
//   node: the same server answering hello world itself: the baseline for added latency.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { compileEnvelope, configureServer, loadAppYaml, RouteTable, WsgiBackend } from '../../dist/index.js';

const [mode, root, port, instances = '2'] = process.argv.slice(2);
let yaml = readFileSync(join(root, 'app.yaml'), 'utf8').replace('instances: 2', `instances: ${instances}`);
if (mode === 'wsgi-single') yaml = yaml.replace('threadsafe: true', 'threadsafe: false');
const config = loadAppYaml({ root, config: yaml });
const envelope = compileEnvelope({ config, logger: false });
const table = new RouteTable(config.handlers);
const backend = mode === 'node' ? undefined : new WsgiBackend({ config, logger: false });
const hello = Buffer.from('Hello, World!');

const server = http.createServer((req, res) => {
  if (!envelope.admit(req, res)) return;
  req.appEngine.route = table.match(req.appEngine.path);
  envelope.handOver(req, res);
  if (!backend) {
    res.writeHead(200, ['Content-Type', 'text/plain', 'Content-Length', '13']);
    res.end(hello);
    return;
  }
  backend.handle(req, res, () => {
    res.statusCode = 404;
    res.end();
  });
});
configureServer(server);
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections();
  await backend?.close();
  process.exit(0);
});
