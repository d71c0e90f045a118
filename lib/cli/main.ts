import { existsSync, readFileSync } from 'node:fs';
import { runCheck } from './check.js';
import { EXIT } from './output.js';
import { runRoutes } from './routes.js';
import { runServe } from './serve.js';

const HELP = `Usage: appyaml <command> [options]

Commands:
  serve [dir|app.yaml]        serve an App Engine app folder locally, as App Engine would
  check [dir|app.yaml]        validate app.yaml and the deploy limits; --list shows the upload
  routes [dir] [url…]         print the handler table and explain which handler a url matches

Run "appyaml <command> --help" for a command's options.
Exit codes: 0 success, 1 config errors (or a deploy limit, or a port that cannot be bound),
2 bad usage.`;

/** The package's version: package.json is one folder up from dist/cli.js, two from lib/cli/main.ts. */
function version(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    const file = new URL(candidate, import.meta.url);
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'check':
      return runCheck(rest);
    case 'routes':
      return runRoutes(rest);
    case '--version':
    case '-v':
      console.log(version());
      return EXIT.ok;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      console.error(`appyaml: unknown command "${command}"\n\n${HELP}`);
      return EXIT.usage;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
