// A backend benchmark server: appyaml's envelope, routing and one script backend on plain
// node:http (what appYaml() does for a script handler), from the built package (dist/).
import http from 'node:http';
import { compileEnvelope, configureServer, RouteTable } from '../../dist/index.js';

/**
 * Listens on 127.0.0.1:`port`, answering with `backend` (or `answer(res)`, for a baseline
 * without one); SIGTERM closes the server and the backend, then exits.
 */
export function serveBackend(config, backend, port, answer) {
  const envelope = compileEnvelope({ config, logger: false });
  const table = new RouteTable(config.handlers);
  const server = http.createServer((req, res) => {
    if (!envelope.admit(req, res)) return;
    req.appEngine.route = table.match(req.appEngine.path);
    envelope.handOver(req, res);
    if (!backend) return answer(res);
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
}
