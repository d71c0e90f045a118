import { readFileSync } from 'node:fs';
import { runCheck } from './check.js';
import { EXIT } from './output.js';
import { runRoutes } from './routes.js';
import { runServe } from './serve.js';

const HELP = `Usage: appyaml <command> [options]

Commands:
  serve [dir]           serve an App Engine app folder locally
  check [dir]           validate app.yaml and report every problem
  routes [dir] [url…]   print the handler table and explain which handler a url matches

Run "appyaml <command> --help" for a command's options.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
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
