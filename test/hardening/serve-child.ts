/**
 * The fixture server in a process of its own, so that its fds, RSS and limits (`ulimit -n`) are
 * measured apart from the client's: `node --import tsx serve-child.ts <app root> [options JSON]`.
 * Prints `{"port":N}` once listening; closes everything (bridges included) on SIGTERM.
 */
import { serveFixture } from './fixture.js';

const [root, json] = process.argv.slice(2);
if (!root) throw new Error('usage: serve-child.ts <app root> [options JSON]');
const served = await serveFixture(root, json ? (JSON.parse(json) as Record<string, unknown>) : {});
process.stdout.write(`${JSON.stringify({ port: served.port })}\n`);
process.once('SIGTERM', () => {
  void served.close().then(() => process.exit(0));
});
