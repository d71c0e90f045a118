#!/usr/bin/env node
// The servers of the proxy benchmark, one per process: node servers.mjs <kind> <port> [target port | app folder].
//   upstream        node:http answering "hello" (the proxies' upstream)
//   appyaml         appyaml's entrypoint() alone: its pool and reverse proxy, the upstream as its entrypoint
//   http-proxy      http-proxy 1.18 with a keep-alive agent
//   undici          forwarding with an undici 7 Pool (keep-alive), streamed both ways
//   appyaml-full    appYaml() serving a flex app folder (envelope, routing, response capture)
//   entrypoint-only entrypoint() alone serving the same app folder (no envelope, no capture)
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunicornCommand } from './gunicorn.mjs';

const [kind, portArg, target] = process.argv.slice(2);
const port = Number(portArg);
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** A flex app.yaml running `entrypointCommand` on one instance. */
const appYamlText = (entrypointCommand) => ['runtime: python', 'env: flex', `entrypoint: ${entrypointCommand}`, 'manual_scaling:', '  instances: 1'].join('\n');

const hello = Buffer.from('hello');
let handler;
let server;
switch (kind) {
  case 'upstream':
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': hello.length });
      res.end(hello);
    };
    break;
  case 'appyaml': {
    const { entrypoint, loadAppYaml } = await import('../../dist/index.js');
    const self = fileURLToPath(import.meta.url);
    const mw = entrypoint({ config: loadAppYaml({ root: process.cwd(), config: appYamlText(`${process.execPath} ${self} upstream $PORT`) }), logger: false });
    handler = (req, res) => mw(req, res, () => res.end());
    break;
  }
  case 'appyaml-full':
  case 'entrypoint-only': {
    const { appYaml, entrypoint, loadAppYaml } = await import('../../dist/index.js');
    const source = { root: target, config: appYamlText(gunicornCommand('$PORT')) };
    const mw = kind === 'appyaml-full' ? appYaml({ ...source, logger: false }) : entrypoint({ config: loadAppYaml(source), logger: false });
    handler = (req, res) => mw(req, res, () => res.end());
    break;
  }
  case 'http-proxy': {
    const { default: httpProxy } = await import('http-proxy');
    const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${target}`, agent: new http.Agent({ keepAlive: true, maxSockets: 256 }), xfwd: true });
    proxy.on('error', (_err, _req, res) => res.writeHead?.(502).end?.());
    handler = (req, res) => proxy.web(req, res);
    break;
  }
  case 'undici': {
    const { Pool } = await import('undici');
    const pool = new Pool(`http://127.0.0.1:${target}`, { connections: 256 });
    handler = async (req, res) => {
      const headers = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name)) headers[name] = value;
      headers['x-forwarded-for'] = req.socket.remoteAddress;
      try {
        const up = await pool.request({ path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req });
        const out = {};
        for (const [name, value] of Object.entries(up.headers)) if (!HOP.has(name)) out[name] = value;
        res.writeHead(up.statusCode, out);
        for await (const chunk of up.body) res.write(chunk);
        res.end();
      } catch {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      }
    };
    break;
  }
  default:
    throw new Error(`unknown server kind ${kind}`);
}
server = http.createServer(handler);
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
