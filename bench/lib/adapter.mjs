// Shared by the server adapters in bench/servers/: `--root <dir> --port <n>`, and "ready" on
// stderr once the server listens on 127.0.0.1 (stderr, because stdout is the server's own: appyaml
// writes its request log there, and bench/run.mjs sends it to /dev/null so that no log line is
// carried to the load generator's core). An adapter exits when its stdin closes, which happens
// when bench/run.mjs goes away, however it goes.
import { parseArgs } from 'node:util';

export function adapterArgs(onParentGone = () => process.exit(0)) {
  process.stdin.on('end', onParentGone).on('error', onParentGone).resume();
  const { values } = parseArgs({ options: { root: { type: 'string' }, port: { type: 'string' } } });
  if (!values.root || !values.port) {
    console.error('usage: node <adapter>.mjs --root <dir> --port <n>');
    process.exit(2);
  }
  return { root: values.root, port: Number(values.port) };
}

/** Tells bench/run.mjs the server is listening. */
export const ready = () => console.error('ready');

/** Listens on 127.0.0.1:port (a node:http or Express server) and prints "ready". */
export function listen(server, port) {
  server.listen(port, '127.0.0.1', ready);
  server.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
  });
}

/** The 404 every node:http adapter gives when its middleware calls next(). */
export function notFound(res) {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('Not Found');
}
