import { parseArgs } from 'node:util';
import { checkAppYaml, formatProblem } from '../index.js';
import { color, EXIT } from './output.js';

export const CHECK_HELP = `Usage: appyaml check [dir|app.yaml] [--json]

Validates app.yaml as App Engine would and prints every problem as file:line:column.

Options:
  --json   print {"ok", "problems", "warnings"} as JSON
  -h, --help

Exit codes: 0 valid, 1 the config has errors, 2 bad usage.`;

export function runCheck(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(CHECK_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    console.error(CHECK_HELP);
    return EXIT.usage;
  }
  const result = checkAppYaml(positionals[0] ?? '.');
  const ok = result.config !== undefined;
  if (values.json) {
    console.log(JSON.stringify({ ok, problems: result.problems, warnings: result.warnings }, null, 2));
  } else {
    for (const p of result.problems) console.log(`${color.red('error')} ${formatProblem(p)}`);
    for (const w of result.warnings) console.log(`${color.yellow('warning')} ${formatProblem(w)}`);
    if (ok) console.log(color.green(`${result.config!.file}: ok, ${result.config!.handlers.length} handlers`));
    else console.log(color.red(`${result.problems.length} error${result.problems.length === 1 ? '' : 's'}`));
  }
  return ok ? EXIT.ok : EXIT.configError;
}
