import { RE2JS } from 're2js';
// The in-thread build: the main entry would start a native agent process for the life of the host.
import recheck from 'recheck/lib/browser.js';
import { RegexSyntaxError, translateRegex, type TranslatedRegex } from './regex-dialect.js';

/** Which engine matches a url: V8 for patterns proven safe, RE2 (linear time) for the rest. */
export type MatchEngine = 'v8' | 'linear';

/** Groups of a successful match: `[whole, group1, …]`, unmatched groups undefined. */
export interface UrlMatch {
  groups: Array<string | undefined>;
  named: Map<string, number>;
}

/** A compiled, anchored App Engine url pattern (`^(?:url)$`), safe against catastrophic backtracking. */
export interface UrlPattern {
  source: string;
  /** The anchored JavaScript source, for display. */
  regex: string;
  engine: MatchEngine;
  groupCount: number;
  groupNames: Map<string, number>;
  /** Matches a decoded path (never the query); null when it does not match. */
  match(path: string): UrlMatch | null;
}

export class UrlPatternError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

const classified = new Map<string, 'safe' | 'exponential' | 'polynomial' | 'unknown'>();

/**
 * How the pattern's worst case grows with input length. A pattern with no quantifier, or with
 * one and no alternation, cannot backtrack more than linearly (nothing to nest, to split the
 * input between, or to try two ways under a repeat), so it needs no analysis; the rest go to
 * recheck's deterministic automaton checker. Exponential
 * patterns are refused; polynomial or unproven ones run on a linear-time engine instead of V8's
 * backtracking one.
 */
function classify(anchored: string): 'safe' | 'exponential' | 'polynomial' | 'unknown' {
  const { quantifiers, alternation } = shape(anchored);
  if (quantifiers === 0 || (quantifiers === 1 && !alternation)) return 'safe';
  let verdict = classified.get(anchored);
  if (verdict === undefined) {
    verdict = analyse(anchored);
    classified.set(anchored, verdict);
  }
  return verdict;
}

function analyse(anchored: string): 'safe' | 'exponential' | 'polynomial' | 'unknown' {
  let result: ReturnType<typeof recheck.checkSync>;
  try {
    result = recheck.checkSync(anchored, '', { checker: 'automaton', timeout: 5000 });
  } catch {
    // The analysis itself can fail on large automata (deep recursion): unproven, so linear engine.
    return 'unknown';
  }
  if (result.status === 'safe') return 'safe';
  if (result.status !== 'vulnerable') return 'unknown';
  return result.complexity.type === 'exponential' ? 'exponential' : 'polynomial';
}

/** Quantifiers (`* + ?` and `{…}` repeats) and whether there is a `|`, outside classes and escapes. */
function shape(source: string): { quantifiers: number; alternation: boolean } {
  let quantifiers = 0;
  let alternation = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '|') alternation = true;
    // `(?:` and `(?<name>` are group syntax, not quantifiers.
    else if (c === '?' && source[i - 1] === '(') continue;
    else if (c === '*' || c === '+' || c === '?' || c === '{') quantifiers++;
  }
  return { quantifiers, alternation };
}

function translate(source: string): TranslatedRegex {
  try {
    return translateRegex(source);
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new UrlPatternError(err.message, err.offset);
    throw err;
  }
}

/** Compiles a handler `url` (or a static_dir prefix turned into a pattern). */
export function compileUrlPattern(source: string): UrlPattern {
  const t = translate(source);
  const regex = `^(?:${t.js})$`;
  let v8: RegExp;
  let dotAll: RegExp;
  try {
    v8 = new RegExp(regex);
    dotAll = new RegExp(regex, 's');
  } catch (err) {
    throw new UrlPatternError(`not a valid regular expression: ${(err as Error).message}`);
  }
  const verdict = classify(regex);
  if (verdict === 'exponential') {
    throw new UrlPatternError(
      'this pattern can backtrack catastrophically (exponential time on some paths); remove the nested repetition, e.g. write /(a+)+ as /a+',
    );
  }
  const base = { source, regex, groupCount: t.groupCount, groupNames: t.groupNames };
  let re2: RE2JS | undefined;
  const compileRe2 = (): RE2JS => {
    try {
      return (re2 ??= RE2JS.compile(`^(?:${t.re2})$`));
    } catch (err) {
      throw new UrlPatternError(`cannot be matched in linear time: ${(err as Error).message}`);
    }
  };
  if (verdict === 'safe') {
    return {
      ...base,
      engine: 'v8',
      match(path) {
        // Python's `.` refuses only \n; JavaScript's also \r, U+2028 and U+2029, which a path may
        // hold (%E2%80%A8 passes the envelope): read plainly, such a path would skip a handler App
        // Engine matches, and its `login`. So `s` without \n, the plain reading when \n is the only
        // line terminator, and RE2 (Python's reading) for a path holding both.
        const newline = path.includes('\n');
        if (newline && LINE_TERMINATOR.test(path)) return matchRe2(compileRe2(), path, t);
        const m = (newline ? v8 : dotAll).exec(path);
        return m ? { groups: Array.from(m), named: t.groupNames } : null;
      },
    };
  }
  const linear = compileRe2();
  return { ...base, engine: 'linear', match: (path) => matchRe2(linear, path, t) };
}

/** What JavaScript's `.` refuses besides \n. */
const LINE_TERMINATOR = /[\r\u2028\u2029]/;

/** RE2 reads `.` as Python does (anything but \n). */
function matchRe2(re2: RE2JS, path: string, t: TranslatedRegex): UrlMatch | null {
  const m = re2.matcher(path);
  if (!m.matches()) return null;
  const groups: Array<string | undefined> = [];
  for (let g = 0; g <= t.groupCount; g++) groups.push(m.group(g) ?? undefined);
  return { groups, named: t.groupNames };
}

/** Compiles a file-path regex (`upload`, `skip_files`), matched against the app's own file names only. */
export function compileFileRegex(source: string, anchor: 'full' | 'start'): RegExp {
  const t = translate(source);
  try {
    // `s`: Python's `.` refuses only \n, JavaScript's also \r, U+2028 and U+2029, which a file
    // name may hold (a dotfile must not escape skip_files that way). Names holding \n, which
    // `s` would read differently, are never servable (fileScope).
    return new RegExp(anchor === 'full' ? `^(?:${t.js})$` : `^(?:${t.js})`, 's');
  } catch (err) {
    throw new UrlPatternError(`not a valid regular expression: ${(err as Error).message}`);
  }
}

/** Escapes a literal string for use inside an App Engine pattern. */
export function escapeRegexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
