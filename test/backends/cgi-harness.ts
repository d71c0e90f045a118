/** Real servers for the CGI backend tests: envelope → route → CgiBackend, real processes. */
import { chmodSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { CgiBackend, type CgiOptions } from '../../lib/backends/cgi/backend.js';
import type { AppConfig } from '../../lib/config/types.js';
import type { EnvelopeOptions, Logger } from '../../lib/envelope/index.js';
import { makeApp, PYTHON, startBackendServer, type BackendServer } from './harness.js';

export { alive, fetch, logged, processesIn, waitFor, PYTHON } from './harness.js';

export const APP_YAML = ['runtime: python27', 'api_version: 1', 'threadsafe: false', 'handlers:', '- url: /sh/.*', '  script: cgi-bin/run.sh', '- url: /noexec', '  script: cgi-bin/noexec', '- url: /(\\w+)', '  script: \\1.py', ''].join('\n');

/** A temp app folder holding `files`; `*.sh` files are made executable. */
export function makeCgiApp(files: Record<string, string>): string {
  const root = realpathSync(makeApp({ 'app.yaml': APP_YAML, ...files }));
  for (const path of Object.keys(files)) if (path.endsWith('.sh')) chmodSync(join(root, path), 0o755);
  return root;
}

export type CgiServer = BackendServer<CgiBackend>;

export interface CgiServerOptions {
  envelope?: Omit<EnvelopeOptions, 'config' | 'logger'>;
  cgi?: Omit<CgiOptions, 'config' | 'logger'>;
}

/** The CGI backend behind the envelope. */
export function startCgiServer(root: string, options: CgiServerOptions = {}): Promise<CgiServer> {
  const make = (config: AppConfig, logger: Logger) => new CgiBackend({ python: PYTHON, ...options.cgi, config, logger });
  // Room for the 431 test's headers, which Node's default 16 KiB would refuse first.
  return startBackendServer(root, make, { envelope: options.envelope, maxHeaderSize: 128 * 1024 });
}

