// appyaml on plain node:http (what `appyaml serve` uses): the middleware called directly,
// defaults (request log on stdout).
import http from 'node:http';
import { adapterArgs, listen, notFound } from '../lib/adapter.mjs';

const { appYaml } = await import(process.env.APPYAML_DIST ?? '../../dist/index.js');
const { root, port } = adapterArgs();
const mw = appYaml({ root });
listen(http.createServer((req, res) => mw(req, res, () => notFound(res))), port);
