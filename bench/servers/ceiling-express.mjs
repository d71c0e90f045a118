// Ceiling inside Express 5: the same preloaded answers as ceiling-node, as one middleware.
import express from 'express';
import http from 'node:http';
import { adapterArgs, listen } from '../lib/adapter.mjs';
import { answer, preload } from '../lib/preload.mjs';

const { root, port } = adapterArgs();
const files = preload(root);
const app = express();
app.use((req, res, next) => answer(files, req, res) || next());
listen(http.createServer(app), port);
