import { cpSync, existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

/** Non-TypeScript assets (the Python bridge) that the Python backend loads at run time. */
const PYTHON_ASSETS = 'lib/backends/python';

function copyPythonAssets(): void {
  if (!existsSync(PYTHON_ASSETS)) return;
  cpSync(PYTHON_ASSETS, 'dist/python', {
    recursive: true,
    filter: (src) => !/\.[cm]?ts$/.test(src) && !src.includes('__pycache__'),
  });
}

// Both builds write to dist/ in parallel, so each one cleans everything except the other's
// outputs (tsup's `clean` patterns are added to its own "**/*" pattern).
export default defineConfig([
  {
    // The library: ESM + CJS with bundled declarations for package.json's exports map.
    entry: { index: 'lib/index.ts' },
    outDir: 'dist',
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // Gives the CJS build a working import.meta.url (and the ESM build __dirname/__filename).
    shims: true,
    clean: ['!cli.js', '!cli.js.map'],
    onSuccess: async () => copyPythonAssets(),
  },
  {
    // The command line tool: ESM only, executable.
    entry: { cli: 'lib/cli/main.ts' },
    outDir: 'dist',
    format: ['esm'],
    dts: false,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    clean: ['!index.*', '!python/**'],
  },
]);
