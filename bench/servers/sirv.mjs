// sirv in production mode (file map built at startup), ETags on, on node:http.
import http from 'node:http';
import sirv from 'sirv';
import { adapterArgs, listen, notFound } from '../lib/adapter.mjs';

const { root, port } = adapterArgs();
const serve = sirv(root, { dev: false, etag: true, maxAge: 86400 });
listen(http.createServer((req, res) => serve(req, res, () => notFound(res))), port);
