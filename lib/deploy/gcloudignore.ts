import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `.gcloudignore` as `gcloud app deploy` reads it (its `gcloudignore` and `glob` modules), which
 * differs from git in places, and where it differs we follow gcloud, since the question is what
 * gcloud would upload:
 * - a pattern is matched right to left, part by part (split at `/`); unless it starts with `/` or
 *   holds `**`, it may match at any depth, even with a `/` inside (`a/*.py` matches `x/a/b.py`);
 * - each part is matched with Python's `fnmatch` (`*` and `?` also match a leading dot; `[!…]`);
 * - `\x` is unescaped before matching, trailing spaces are dropped unless escaped;
 * - `!` re-includes, a trailing `/` matches folders only, `**` matches any number of folders;
 * - a path is kept unless, for it or any folder above it, the last matching pattern ignores it:
 *   a file inside an ignored folder cannot be re-included;
 * - `#!include:NAME` inserts the patterns of NAME from the same folder (one level deep only).
 */
export class GcloudIgnore {
  private constructor(private readonly patterns: readonly IgnorePattern[]) {}

  /** Reads an ignore file; its `#!include:` directives are followed one level deep. Throws GcloudIgnoreError. */
  static fromFile(file: string, dir: string, includeDepth = 1): GcloudIgnore {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new GcloudIgnoreError(`cannot read ignore file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return GcloudIgnore.fromString(text, dir, includeDepth);
  }

  /** Parses ignore-file text; `dir` is where `#!include:` files are read from. */
  static fromString(text: string, dir: string, includeDepth = 1): GcloudIgnore {
    const patterns: IgnorePattern[] = [];
    for (const line of text.split(/\r\n|\n|\r/)) {
      if (line.startsWith('#')) {
        const directive = line.slice(1).trimStart();
        if (directive.startsWith(INCLUDE)) patterns.push(...GcloudIgnore.included(line, dir, includeDepth));
        continue;
      }
      const pattern = parsePattern(line);
      if (pattern) patterns.push(pattern);
    }
    return new GcloudIgnore(patterns);
  }

  private static included(line: string, dir: string, depth: number): readonly IgnorePattern[] {
    const name = line.slice(line.indexOf(INCLUDE) + INCLUDE.length);
    if (name.includes('/')) throw new GcloudIgnoreError(`${line}: may only include files in the same folder`);
    // gcloud reads directives in the top file only; nested ones are comments.
    if (depth <= 0) return [];
    return GcloudIgnore.fromFile(join(dir, name), dir, depth - 1).patterns;
  }

  /** Whether a root-relative path (`/`-separated) is uploaded; `isDir` for folders. */
  includes(path: string, isDir = false): boolean {
    const parts = path.split('/');
    for (let end = 1; end <= parts.length; end++) {
      const prefix = parts.slice(0, end).join('/');
      const prefixIsDir = end < parts.length || isDir;
      let ignored = false;
      for (const p of this.patterns) if (matches(p, prefix, prefixIsDir)) ignored = !p.negated;
      if (ignored) return false;
    }
    return true;
  }
}

/** A `.gcloudignore` that cannot be used: unreadable, or an `#!include:` gcloud would refuse. */
export class GcloudIgnoreError extends Error {
  override name = 'GcloudIgnoreError';
}

interface IgnorePattern {
  /** The pattern's parts, split at `/`; a leading `''` anchors it at the root. */
  parts: string[];
  /** Each part as an fnmatch regex (undefined for `**`). */
  regexes: Array<RegExp | undefined>;
  negated: boolean;
  dirOnly: boolean;
}

const INCLUDE = '!include:';
const EMPTY_PART = /^$/;

/** One line as gcloud's `Pattern.FromString`; undefined for lines gcloud drops (blank, odd trailing `\`). */
function parsePattern(raw: string): IgnorePattern | undefined {
  let line = raw;
  const negated = line.startsWith('!');
  if (negated) line = line.slice(1);
  const dirOnly = line.endsWith('/');
  if (dirOnly) line = line.slice(0, -1);
  line = stripTrailingSpaces(line).replaceAll('\\ ', ' ');
  if (/(?<!\\)\\(\\\\)*$/.test(line)) return undefined;
  line = line.replace(/\\([^\\])/g, '$1').replaceAll('\\\\', '\\');
  if (!line) return undefined;
  const parts = line.split('/');
  return { parts, regexes: parts.map((p) => (p === '**' ? undefined : fnmatchRegex(p))), negated, dirOnly };
}

/** Drops unescaped trailing spaces (`\ ` is one token and stays). */
function stripTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === ' ') {
    let slashes = 0;
    for (let i = end - 2; i >= 0 && line[i] === '\\'; i--) slashes++;
    if (slashes % 2 === 1) break;
    end--;
  }
  return line.slice(0, end);
}

function matches(p: IgnorePattern, path: string, isDir: boolean): boolean {
  if (p.dirOnly && !isDir) return false;
  return matchParts(p, p.parts.length, path);
}

/**
 * gcloud's `Glob._MatchesHelper`: the last `count` parts against `path`, right to left. `path`
 * undefined means "above the root", which only an empty pattern matches.
 */
function matchParts(p: IgnorePattern, count: number, path: string | undefined): boolean {
  if (count === 0) return true;
  if (path === undefined) return false;
  const part = p.parts[count - 1]!;
  const slash = path.lastIndexOf('/');
  const last = slash < 0 ? path : path.slice(slash + 1);
  const rest = last === '' ? undefined : slash < 0 ? '' : path.slice(0, slash);
  if (part === '**') {
    // The rest must match a prefix of the path, and `**` patterns are always anchored at the root.
    const anchored: IgnorePattern = p.parts[0] === '' ? p : { ...p, parts: ['', ...p.parts], regexes: [EMPTY_PART, ...p.regexes] };
    const remaining = count - 1 + (anchored === p ? 0 : 1);
    const segments = path === '' ? [] : path.split('/');
    for (let n = 0; n <= segments.length; n++) {
      if (matchParts(anchored, remaining, segments.slice(0, n).join('/'))) return true;
    }
    return false;
  }
  // A leading `*` must not match across folders: `*/bar` matches `foo/bar`, not `a/foo/bar`.
  if (part === '*' && count === 1 && rest !== undefined && rest.length > 1) return false;
  const regex = p.regexes[count - 1]!;
  if (!regex.test(last)) return false;
  return matchParts(p, count - 1, rest);
}

/** Python's `fnmatch.translate` for one path part: `*`, `?`, `[seq]`, `[!seq]`; case-sensitive, as on Linux. */
export function fnmatchRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^]*';
    else if (c === '?') out += '[^]';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j).replaceAll('\\', '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      out += `[${body.replace(/[[\]]/g, '\\$&')}]`;
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${out}$`, 'u');
  } catch {
    // A class JavaScript refuses (a reversed range): Python drops such ranges; matching nothing is the safe side.
    return /(?!)/;
  }
}
