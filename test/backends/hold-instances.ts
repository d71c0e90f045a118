/**
 * Child process for the lifecycle tests: runs a WSGI backend for the app in argv[2] with two
 * manually scaled instances, prints their pids as JSON once both are up, then waits to be
 * killed. Not a test file itself.
 */
import { loadAppYaml } from '../../lib/config/load.js';
import { silentLogger } from '../../lib/envelope/logger.js';
import { WsgiBackend } from '../../lib/backends/wsgi/backend.js';
import { bridgePids, PYTHON } from './harness.js';

const root = process.argv[2]!;
const backend = new WsgiBackend({ config: loadAppYaml(root), python: PYTHON, logger: silentLogger });
const poll = setInterval(() => {
  const pids = bridgePids(root);
  if (pids.length === 2 && backend.pool.instances.length === 2) {
    clearInterval(poll);
    process.stdout.write(`${JSON.stringify(pids)}\n`);
  }
}, 20);
// Stay alive: the instances themselves do not hold Node's event loop.
setInterval(() => {}, 60_000);
