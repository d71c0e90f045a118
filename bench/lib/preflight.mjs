// What a backend benchmark needs before it starts: the tools on PATH and a built dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');

/** Exits with a hint when one of `[tool, install hint]` is missing or dist/ was not built. */
export function preflight(tools) {
  for (const [tool, hint] of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      process.stderr.write(`missing ${tool}: ${hint}\n`);
      process.exit(1);
    }
  }
  if (!existsSync(DIST)) {
    process.stderr.write('dist/ is missing: run npm run build first\n');
    process.exit(1);
  }
}
