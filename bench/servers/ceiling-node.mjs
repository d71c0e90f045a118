// Ceiling: node:http answering from preloaded Buffers with precomputed headers.
import http from 'node:http';
import { adapterArgs, listen, notFound } from '../lib/adapter.mjs';
import { answer, preload } from '../lib/preload.mjs';

const { root, port } = adapterArgs();
const files = preload(root);
listen(http.createServer((req, res) => answer(files, req, res) || notFound(res)), port);
