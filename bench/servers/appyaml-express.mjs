// appyaml inside Express 5: app.use(appYaml({ root })), the app.yaml in <root>, defaults
// (request log on stdout, as `appYaml()` does unless told otherwise).
import express from 'express';
import http from 'node:http';
import { adapterArgs, listen } from '../lib/adapter.mjs';

const { appYaml } = await import(process.env.APPYAML_DIST ?? '../../dist/index.js');
const { root, port } = adapterArgs();
const app = express();
app.use(appYaml({ root }));
listen(http.createServer(app), port);
