// appyaml inside Express 5 without its request log: app.use(appYaml({ root, logger: false })).
// Not a target row; it shows what the log line costs, since none of the peers writes one.
import express from 'express';
import http from 'node:http';
import { adapterArgs, listen } from '../lib/adapter.mjs';

const { appYaml } = await import(process.env.APPYAML_DIST ?? '../../dist/index.js');
const { root, port } = adapterArgs();
const app = express();
app.use(appYaml({ root, logger: false }));
listen(http.createServer(app), port);
