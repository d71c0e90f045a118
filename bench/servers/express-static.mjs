// express.static (serve-static 2 / send 1) in Express 5, max-age as in the app.yaml (1d).
import express from 'express';
import http from 'node:http';
import { adapterArgs, listen } from '../lib/adapter.mjs';

const { root, port } = adapterArgs();
const app = express();
app.use(express.static(root, { maxAge: '1d' }));
listen(http.createServer(app), port);
