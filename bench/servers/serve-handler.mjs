// serve-handler (the engine of Vercel's `serve`), ETags on, on node:http.
import http from 'node:http';
import handler from 'serve-handler';
import { adapterArgs, listen } from '../lib/adapter.mjs';

const { root, port } = adapterArgs();
const config = {
  public: root,
  etag: true,
  headers: [{ source: 'static/**', headers: [{ key: 'Cache-Control', value: 'public, max-age=86400' }] }],
};
listen(http.createServer((req, res) => handler(req, res, config)), port);
