const META = new Set(['^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
const QUANTIFIERS = new Set(['?', '*', '+', '{']);

/**
 * The literal text every match of an App Engine pattern starts with (`/static/` for
 * `/static/(.*)`), so that most handlers can be skipped with one `startsWith` instead of a regex.
 * Returns '' when the pattern has a top-level alternation or starts with a construct.
 */
export function literalPrefix(pattern: string): string {
  if (hasTopLevelAlternation(pattern)) return '';
  let prefix = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    let literal: string;
    let next = i + 1;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined || /[A-Za-z0-9]/.test(e)) break;
      literal = e;
      next = i + 2;
    } else if (META.has(c)) {
      break;
    } else {
      literal = c;
    }
    // A quantified character is optional or repeated: it cannot be part of the fixed prefix.
    if (QUANTIFIERS.has(pattern[next] ?? '')) break;
    prefix += literal;
    i = next - 1;
  }
  return prefix;
}

function hasTopLevelAlternation(pattern: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
