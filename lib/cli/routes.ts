import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkAppYaml, formatProblem, RouteTable } from '../index.js';
import { handlerExpiration, handlerTable, handlerTarget } from './handler-table.js';
import { color, EXIT } from './output.js';

export const ROUTES_HELP = `Usage: appyaml routes [dir|app.yaml] [url...] [--json]

Prints the handler table and, for each url, which handler matches, why, and the file or
script it expands to.

Options:
  --json   print {"handlers", "urls"} as JSON
  -h, --help

Exit codes: 0 done, 1 the config has errors, 2 bad usage.`;

interface Explanation {
  url: string;
  path: string;
  handler?: number;
  type?: string;
  pattern?: string;
  groups?: Array<string | null>;
  target?: string;
  note: string;
}

function explain(table: RouteTable, url: string): Explanation {
  const rawPath = url.replace(/^[a-z]+:\/\/[^/]*/i, '').split('?')[0] || '/';
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { url, path: rawPath, note: 'malformed percent-encoding: answered 400 before matching' };
  }
  const m = table.match(path);
  if (!m) return { url, path, note: 'no handler matches: the request falls through to next() (appyaml serve answers 404)' };
  const h = m.handler;
  const skipped = h.index === 1 ? 'handler 0 did not match; ' : h.index > 1 ? `handlers 0-${h.index - 1} did not match; ` : '';
  const note =
    h.type === 'script'
      ? `${skipped}first match wins; runs script ${m.target}`
      : `${skipped}first match wins; serves file ${m.target}${h.require_matching_file ? ' (if it is missing, matching continues with the next handler)' : ' (404 if it is missing)'}`;
  return { url, path, handler: h.index, type: h.type, pattern: h.pattern.regex, groups: m.match.groups.slice(1).map((g) => g ?? null), target: m.target, note };
}

export function runRoutes(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    console.error(`appyaml routes: ${(err as Error).message}\n\n${ROUTES_HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(ROUTES_HELP);
    return EXIT.ok;
  }
  // The first positional is the app when it names an existing file or folder; otherwise a url.
  const first = positionals[0];
  const appArg = first !== undefined && (existsSync(first) || (!first.startsWith('/') && !/^https?:/.test(first))) ? positionals.shift() : undefined;
  const result = checkAppYaml(appArg ?? '.');
  if (!result.config) {
    for (const p of result.problems) console.error(`${color.red('error')} ${formatProblem(p)}`);
    return EXIT.configError;
  }
  const config = result.config;
  const routes = new RouteTable(config.handlers);
  const explanations = positionals.map((u) => explain(routes, u));
  if (values.json) {
    const handlers = config.handlers.map((h) => ({
      index: h.index, url: h.url, type: h.type, target: handlerTarget(h), pattern: h.pattern.regex, engine: h.pattern.engine,
      secure: h.secure, login: h.login, expiration: handlerExpiration(h, config),
      source: h.source,
    }));
    console.log(JSON.stringify({ handlers, urls: explanations }, null, 2));
    return EXIT.ok;
  }
  console.log(handlerTable(config));
  for (const e of explanations) {
    console.log(`\n${color.bold(e.url)}`);
    if (e.handler !== undefined) {
      const groups = e.groups!.map((g, i) => `\\${i + 1}=${JSON.stringify(g ?? '')}`).join(' ');
      console.log(`  matches handler ${e.handler} (${e.type}) ${color.dim(e.pattern!)}${groups ? ` with ${groups}` : ''}`);
    }
    console.log(`  ${e.note}`);
  }
  return EXIT.ok;
}
