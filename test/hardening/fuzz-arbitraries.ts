/**
 * Generators for the fuzz properties: request targets mixing the fixture's real names, traversal
 * pieces in every encoding security.md §1 lists, and random bytes. `FUZZ_SEED` and `FUZZ_RUNS`
 * (a multiplier of each property's CI run count) make `npm run fuzz` the long run.
 */
import fc from 'fast-check';

/** Fixed for CI, so a failure reproduces; `FUZZ_SEED` for other runs. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
/** How many times the CI run counts a run makes (`FUZZ_RUNS`). */
export const SCALE = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1));

/** fast-check parameters for a property run `runs` times in CI. */
export function params(runs: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: Math.round(runs * SCALE), endOnFailure: true };
}

/** Names in the fixture tree, allowed and refused alike. */
const NAMES = [
  'static', 'img', 'dots', 'files', 'secure', 'sub', 'ok.txt', 'x.txt', 'a..b.txt', 'logo.png', 'l', 'l2',
  'd', 'out', 'outdir', 'prefix', 'prefixdir', 'root', 'loop', 'dotenv', 'etc', 'passwd', 'secret.txt',
  '.env', '.ENV', '.git', 'config', '.hidden', 'app.yaml', 'main.py', 'private', 'cgi', 'ok.py', 'RCS',
  'notes.txt~', 'mod.pyc', 'CON', 'C:', 'app-secret', 'outside',
];

/** Traversal and separator pieces, raw and in every encoding from §1 (single, double, overlong, IIS). */
const TRICKS = [
  '', '.', '..', '...', '....', '%2e', '%2E', '%2e%2e', '.%2e', '%2e.', '%252e', '%252e%252e', '%%32%65',
  '%2f', '%2F', '%5c', '\\', '%00', '%c0%ae', '%c0%af', '%e0%80%ae', '%uff0e', '%ef%bc%8e', '%25', '%',
  '%20', '..;', '%3f', '?', '#', '%23', '%0d%0a', '..%2f', '%2e%2e%2f', '..%5c', '%ff', '%80',
];

/** One path segment: a real name, a trick, a name with a trick glued on, or random printable text. */
const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 4, arbitrary: fc.constantFrom(...TRICKS) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...TRICKS)).map(([n, t]) => n + t) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 6 }).map((s) => s.replace(/[\s/?#]/g, '')) },
);

/** A request target (origin form) as a client could put it on the request line (no space, CR, LF). */
export const requestTarget = fc
  .tuple(fc.constantFrom('/', '//', '/static/', '/files/', '/img/', '/dots', '/secure/'), fc.array(segment, { maxLength: 8 }), fc.option(fc.constantFrom('?a=1', '?x=..%2f', '?"><'), { nil: '' }))
  .map(([start, parts, query]) => [...`${start}${parts.join('/')}${query}`].filter((c) => c > ' ' && c !== '\x7f').join(''));

/** A decoded path a router could see: arbitrary Unicode segments without separators or controls. */
export const decodedPath = fc
  .array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !hasControlOrSeparator(s) && s !== '.' && s !== '..'), { minLength: 1, maxLength: 6 })
  .map((parts) => `/${parts.join('/')}`);

/** C0 controls, DEL, `/` and `\\`: what no decoded path segment holds. */
export function hasControlOrSeparator(s: string): boolean {
  return [...s].some((c) => c < ' ' || c === '\x7f' || c === '/' || c === '\\');
}

/** A root-relative file path built from the fixture's names and traversal pieces, as a `\1` could assemble. */
export const relativePath = fc
  .array(fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom('', '.', '..', '/', '//')), { minLength: 1, maxLength: 7 })
  .map((parts) => parts.join('/'));
