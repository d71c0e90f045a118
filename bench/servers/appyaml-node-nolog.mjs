// appyaml on plain node:http without its request log: appYaml({ root, logger: false }).
// Not a target row; it shows what the log line costs, since none of the peers writes one.
import http from 'node:http';
import { adapterArgs, listen, notFound } from '../lib/adapter.mjs';

const { appYaml } = await import(process.env.APPYAML_DIST ?? '../../dist/index.js');
const { root, port } = adapterArgs();
const mw = appYaml({ root, logger: false });
listen(http.createServer((req, res) => mw(req, res, () => notFound(res))), port);
