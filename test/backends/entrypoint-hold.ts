/**
 * Child process for the shutdown tests: runs an entrypoint backend for the app in argv[2] (two
 * manually scaled instances), prints their pids as JSON once both are ready, then waits to be
 * killed. Not a test file itself.
 */
import { loadAppYaml } from '../../lib/config/load.js';
import { silentLogger } from '../../lib/envelope/logger.js';
import { EntrypointBackend } from '../../lib/backends/entrypoint/backend.js';
import { PYTHON } from './harness.js';

const backend = new EntrypointBackend({ config: loadAppYaml(process.argv[2]!), python: PYTHON, logger: silentLogger });
const poll = setInterval(() => {
  const instances = backend.pool!.instances;
  if (instances.length === 2 && instances.every((i) => i.port > 0 && i.pid !== undefined)) {
    clearInterval(poll);
    // Ready once each answers a connection; the parent checks the pids.
    process.stdout.write(`${JSON.stringify(instances.map((i) => i.pid))}\n`);
  }
}, 50);
setInterval(() => {}, 60_000);
