// superstatic 10 (Firebase Hosting's emulator engine) as middleware on node:http.
import http from 'node:http';
import superstaticModule from 'superstatic';
import { adapterArgs, listen, notFound } from '../lib/adapter.mjs';

const superstatic = superstaticModule.default ?? superstaticModule;
const { root, port } = adapterArgs();
const mw = superstatic({
  cwd: root,
  config: {
    public: '.',
    headers: [{ source: '/static/**', headers: [{ key: 'Cache-Control', value: 'public, max-age=86400' }] }],
  },
});
listen(http.createServer((req, res) => mw(req, res, () => notFound(res))), port);
