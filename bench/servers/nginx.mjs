// Debian's nginx as the native reference: one worker, sendfile, etag, expires 1d, a private
// config/pid/log/temp prefix in a temp dir, on 127.0.0.1:<port>. This wrapper starts
// `nginx -c <conf> -p <prefix> -g 'daemon off;'`, prints "ready" once the port answers, and
// stops nginx (and removes the prefix) when it is told to stop.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adapterArgs, ready } from '../lib/adapter.mjs';

const { root, port } = adapterArgs(() => stopNginx());
const prefix = mkdtempSync(join(tmpdir(), 'appyaml-bench-nginx-'));
const conf = join(prefix, 'nginx.conf');
writeFileSync(
  conf,
  `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  etag on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location /static/ { expires 1d; }
    location / { return 404; }
  }
}
`,
);

const nginx = spawn('nginx', ['-c', conf, '-p', prefix, '-e', `${prefix}/error.log`, '-g', 'daemon off;'], { stdio: 'inherit' });
let stopping = false;
const cleanup = () => rmSync(prefix, { recursive: true, force: true });
nginx.on('exit', (code) => {
  cleanup();
  process.exit(stopping ? 0 : code ?? 1);
});
function stopNginx() {
  stopping = true;
  nginx.kill('SIGTERM');
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stopNginx);

const answers = () =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
for (let i = 0; i < 100; i++) {
  if (await answers()) {
    ready();
    break;
  }
  await sleep(50);
}
