// What is measured: the servers (one adapter script each, in bench/servers/) and the scenarios.

/**
 * `group` decides who needs what: 'appyaml' needs dist/index.js; 'nginx' needs the nginx binary.
 * `root` is the fixture root it serves ('app', or 'app100' for the 100-handler config).
 * `only` limits a server to some scenarios; `hidden` keeps it out of the main table.
 * `rss`: the server pid is the Node process itself, so its RSS can be read.
 */
export const SERVERS = [
  { name: 'appyaml-express', label: 'appyaml in Express 5', script: 'appyaml-express.mjs', group: 'appyaml', root: 'app', rss: true },
  { name: 'appyaml-node', label: 'appyaml on node:http', script: 'appyaml-node.mjs', group: 'appyaml', root: 'app', rss: true },
  { name: 'appyaml-express-nolog', label: 'appyaml in Express 5, logger: false', script: 'appyaml-express-nolog.mjs', group: 'appyaml', root: 'app', only: ['1k', '304', 'miss'] },
  { name: 'appyaml-node-nolog', label: 'appyaml on node:http, logger: false', script: 'appyaml-node-nolog.mjs', group: 'appyaml', root: 'app', only: ['1k', '304', 'miss'] },
  { name: 'appyaml-node-100h', label: 'appyaml on node:http, 100 handlers', script: 'appyaml-node.mjs', group: 'appyaml', root: 'app100', only: ['handlers'], hidden: true },
  { name: 'express-static', label: 'express.static (Express 5)', script: 'express-static.mjs', group: 'peer', root: 'app', rss: true },
  { name: 'sirv', label: 'sirv 3 (prod, etag)', script: 'sirv.mjs', group: 'peer', root: 'app', rss: true },
  { name: 'serve-handler', label: 'serve-handler 6 (etag)', script: 'serve-handler.mjs', group: 'peer', root: 'app', rss: true },
  { name: 'superstatic', label: 'superstatic 10', script: 'superstatic.mjs', group: 'peer', root: 'app', rss: true },
  { name: 'fastify-static', label: '@fastify/static 10 (fastify 5)', script: 'fastify-static.mjs', group: 'peer', root: 'app', rss: true },
  { name: 'ceiling-node', label: 'ceiling: node:http + Buffers', script: 'ceiling-node.mjs', group: 'ceiling', root: 'app', rss: true },
  { name: 'ceiling-express', label: 'ceiling: Express 5 + Buffers', script: 'ceiling-express.mjs', group: 'ceiling', root: 'app', rss: true },
  { name: 'nginx', label: 'nginx (1 worker, sendfile)', script: 'nginx.mjs', group: 'nginx', root: 'app' },
];

/**
 * kind: 'get' (200 with the fixture's bytes), 'conditional' (304 with the server's own
 * validator), 'many' (round-robin over 1,000 files), 'miss' (404), 'rss' (not a wrk run).
 * `servers` limits a scenario to some servers (appyaml-only measurements).
 */
export const SCENARIOS = [
  { name: '1k', label: '1 KB', kind: 'get', path: '/static/1k.txt' },
  { name: '64k', label: '64 KB', kind: 'get', path: '/static/64k.bin' },
  { name: '1m', label: '1 MB', kind: 'get', path: '/static/1m.bin' },
  { name: '304', label: '304', kind: 'conditional', path: '/static/1k.txt' },
  { name: 'many', label: '1,000 files', kind: 'many' },
  { name: 'miss', label: 'miss (404)', kind: 'miss', path: '/static/missing.txt' },
  { name: 'handlers', label: '1 KB, 1 vs 100 handlers', kind: 'get', path: '/static/1k.txt', servers: ['appyaml-node', 'appyaml-node-100h'] },
  { name: 'rss', label: '20 MB downloads, RSS', kind: 'rss', servers: ['appyaml-express', 'appyaml-node', 'express-static', 'sirv'] },
];

export const serverNamed = (name) => SERVERS.find((s) => s.name === name);

/** Whether `server` takes part in `scenario`. */
export function takesPart(server, scenario) {
  if (scenario.servers) return scenario.servers.includes(server.name);
  if (server.only) return server.only.includes(scenario.name);
  return true;
}
