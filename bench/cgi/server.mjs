// One benchmark server: node bench/cgi/server.mjs <spawn|cached> <app root> <port>
//   appyaml's envelope, routing and CGI backend on plain node:http (what appYaml() does for a
//   script handler), from the built package (dist/): spawn runs hello.py in a process per
//   request, cached in App Engine's persistent workers, which call its main() again.
import { CgiBackend, loadAppYaml } from '../../dist/index.js';
import { serveBackend } from '../lib/backend-server.mjs';

const [mode, root, port] = process.argv.slice(2);
const config = loadAppYaml(root);
serveBackend(config, new CgiBackend({ config, logger: false, cgiMode: mode }), port);
