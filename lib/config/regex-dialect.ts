/**
 * Translates App Engine's regex dialect (Python `re`, documented as POSIX ERE plus `\d \w \s`)
 * into JavaScript and RE2 sources that match the same strings, refusing every construct the
 * engines would read differently or that has no linear-time meaning.
 */

export interface TranslatedRegex {
  /** Body for JavaScript's RegExp, without anchors. */
  js: string;
  /** Body for RE2 (re2js), without anchors. */
  re2: string;
  groupCount: number;
  /** Named groups, `(?P<name>…)`, by name → group number. */
  groupNames: Map<string, number>;
}

export class RegexSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const SHORTHAND = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B']);
const CONTROL = new Set(['n', 'r', 't', 'f', 'v']);
const META = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}', '/', '-']);
const MAX_REPEAT = 1000;

/** Translates one pattern; throws RegexSyntaxError with the offset of the offending construct. */
export function translateRegex(source: string): TranslatedRegex {
  let js = '';
  let re2 = '';
  let groupCount = 0;
  const groupNames = new Map<string, number>();
  let depth = 0;
  let i = 0;
  const emit = (a: string, b = a) => {
    js += a;
    re2 += b;
  };
  const fail = (message: string, at = i): never => {
    throw new RegexSyntaxError(message, at);
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      emit(...escape(source, i, false, fail));
      i += escapeLength(source, i);
    } else if (c === '(') {
      const rest = source.slice(i + 1);
      if (rest.startsWith('?:')) {
        emit('(?:');
        i += 3;
      } else if (rest.startsWith('?P<')) {
        const m = /^\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        if (!m) fail('a named group needs a name made of letters, digits and _: (?P<name>...)');
        const name = m![1]!;
        if (groupNames.has(name)) fail(`the group name "${name}" is used twice`);
        groupNames.set(name, ++groupCount);
        emit(`(?<${name}>`, `(?P<${name}>`);
        i += 1 + m![0].length;
      } else if (rest.startsWith('?P=')) {
        fail('back-references are not allowed in url patterns; use \\1 in static_files or script instead');
      } else if (/^\?(=|!|<=|<!)/.test(rest)) {
        fail('lookahead and lookbehind are not supported (App Engine url patterns are POSIX regular expressions)');
      } else if (rest.startsWith('?<')) {
        fail('named groups are written (?P<name>...) in App Engine patterns');
      } else if (/^\?[aiLmsux-]/.test(rest)) {
        fail('inline flags such as (?i) are not supported; url matching is case-sensitive, as on App Engine');
      } else if (rest.startsWith('?')) {
        fail(`unsupported group construct "(${rest.slice(0, 2)}"`);
      } else {
        groupCount++;
        emit('(');
        i++;
      }
      depth++;
    } else if (c === ')') {
      if (depth === 0) fail('unbalanced ")"');
      depth--;
      emit(')');
      i++;
    } else if (c === '[') {
      const [a, b, len] = charClass(source, i, fail);
      emit(a, b);
      i += len;
    } else if (c === '{') {
      const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(source.slice(i));
      if (m && (m[1] !== '' || m[2] !== undefined)) {
        const min = m[1] === '' ? 0 : Number(m[1]);
        const max = m[3] === undefined || m[3] === '' ? (m[2] ? Infinity : min) : Number(m[3]);
        if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) fail(`repeat counts above ${MAX_REPEAT} are not allowed`);
        if (max < min) fail('a repeat range must not run backwards');
        const q = `{${min}${m[2] ? ',' : ''}${m[2] && max !== Infinity ? max : ''}}`;
        emit(q);
        i += m[0].length;
        possessive(source, i, fail);
      } else {
        emit('\\{');
        i++;
      }
    } else if (c === '}') {
      emit('\\}');
      i++;
    } else if (c === '*' || c === '+' || c === '?') {
      emit(c);
      i++;
      if (source[i] === '?') {
        emit('?');
        i++;
      } else {
        possessive(source, i, fail);
      }
    } else {
      emit(c);
      i++;
    }
  }
  if (depth !== 0) fail('unbalanced "("', source.length);
  return { js, re2, groupCount, groupNames };
}

function possessive(source: string, i: number, fail: (m: string, at?: number) => never): void {
  if (source[i] === '+') fail('possessive quantifiers are not supported', i);
}

function escapeLength(source: string, i: number): number {
  const c = source[i + 1];
  if (c === 'x') return 4;
  if (c === 'u') return 6;
  return 2;
}

/** One escape sequence, as [js, re2]. Inside a class `\b` is a backspace in every dialect. */
function escape(source: string, i: number, inClass: boolean, fail: (m: string, at?: number) => never): [string, string] {
  const c = source[i + 1];
  if (c === undefined) fail('the pattern ends with a lone backslash', i);
  if (c! >= '0' && c! <= '9') fail('back-references are not allowed in url patterns; use \\1 in static_files or script instead', i);
  if (SHORTHAND.has(c!)) {
    if (inClass && (c === 'b' || c === 'B')) return c === 'b' ? ['\\x08', '\\x08'] : fail('\\B is not allowed in a character class', i);
    return [`\\${c}`, `\\${c}`];
  }
  if (CONTROL.has(c!)) return [`\\${c}`, c === 'v' ? '\\x0B' : `\\${c}`];
  if (c === 'x') {
    if (!/^[0-9a-fA-F]{2}$/.test(source.slice(i + 2, i + 4))) fail('\\x needs two hex digits', i);
    return [source.slice(i, i + 4), source.slice(i, i + 4)];
  }
  if (c === 'u') {
    const hex = source.slice(i + 2, i + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('\\u needs four hex digits', i);
    return [`\\u${hex}`, `\\x{${hex}}`];
  }
  if (c === 'A' || c === 'Z' || c === 'z' || c === 'G') fail(`\\${c} is not supported; url patterns are always anchored at both ends`, i);
  if (/[A-Za-z]/.test(c!)) fail(`unknown escape "\\${c}"`, i);
  if (META.has(c!)) return [`\\${c}`, `\\${c}`];
  // Any other character escaped is itself.
  return [c!, /[!-/:-@[-`{-~]/.test(c!) ? `\\${c}` : c!];
}

/** A bracket expression `[...]`, as [js, re2, length]. */
function charClass(source: string, start: number, fail: (m: string, at?: number) => never): [string, string, number] {
  let i = start + 1;
  let js = '[';
  let re2 = '[';
  if (source[i] === '^') {
    js += '^';
    re2 += '^';
    i++;
  }
  let first = true;
  for (;;) {
    const c = source[i];
    if (c === undefined) fail('unterminated character class "["', start);
    if (c === ']' && !first) break;
    if (c === '[' && source[i + 1] === ':') fail('POSIX classes such as [:alpha:] are not supported; use \\w, \\d or an explicit range', i);
    if (c === '\\') {
      const [a, b] = escape(source, i, true, fail);
      js += a;
      re2 += b;
      i += escapeLength(source, i);
    } else if (c === ']' || c === '[') {
      // A leading "]" is literal in Python; "[" is literal inside a class.
      js += `\\${c}`;
      re2 += `\\${c}`;
      i++;
    } else {
      js += c;
      re2 += c;
      i++;
    }
    first = false;
  }
  return [`${js}]`, `${re2}]`, i + 1 - start];
}
