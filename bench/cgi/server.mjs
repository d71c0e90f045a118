// One benchmark server: node bench/cgi/server.mjs <spawn|cached> <app root> <port>
//   appyaml's envelope, routing and CGI backend on plain node:http (what appYaml() does for a
//   script handler), from the built package (dist/): spawn runs hello.py in a process per
//   request, cached in App Engine's persistent workers, which call its main() again.
import http from 'node:http';
import { CgiBackend, compileEnvelope, configureServer, loadAppYaml, RouteTable } from '../../dist/index.js';

const [mode, root, port] = process.argv.slice(2);
const config = loadAppYaml(root);
const envelope = compileEnvelope({ config, logger: false });
const table = new RouteTable(config.handlers);
const backend = new CgiBackend({ config, logger: false, cgiMode: mode });

const server = http.createServer((req, res) => {
  if (!envelope.admit(req, res)) return;
  req.appEngine.route = table.match(req.appEngine.path);
  envelope.handOver(req, res);
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
  await backend.close();
  process.exit(0);
});
