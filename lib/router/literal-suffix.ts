/** Escapes that stand for a class of characters: what follows them is still plain pattern text. */
const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B']);
const QUANTIFIERS = new Set(['?', '*', '+', '{']);
const META = new Set(['^', '$', '.', '?', '*', '+', '(', ')', '[', ']', '{', '}']);

/**
 * The literal text every match of an App Engine pattern ends with (`.ext12` for
 * `/(.*)\.ext12`), so that a handler whose url starts with a construct can still be skipped with
 * one `endsWith`. Conservative: '' for any alternation, any inline flag or extension group
 * (`(?i)`, `(?=`, `(?P<`), and any escape other than a character class or punctuation.
 */
export function literalSuffix(pattern: string): string {
  if (pattern.includes('|') || pattern.includes('(?')) return '';
  let run = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    let literal: string | undefined;
    let next = i + 1;
    if (c === '\\') {
      const e = pattern[i + 1];
      // \x41, \u0041, \0 and back-references name characters this scan cannot read.
      if (e === undefined || (/[A-Za-z0-9]/.test(e) && !CLASS_ESCAPES.has(e))) return '';
      literal = CLASS_ESCAPES.has(e) ? undefined : e;
      next = i + 2;
    } else if (c === '[') {
      next = classEnd(pattern, i) + 1;
    } else if (!META.has(c)) {
      literal = c;
    }
    // A quantified or non-literal token ends the run: what follows it is the new candidate.
    run = literal !== undefined && !QUANTIFIERS.has(pattern[next] ?? '') ? run + literal : '';
    i = next - 1;
  }
  return run;
}

/** The index of the `]` closing the class opened at `start` (a leading `^` and `]` are members). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}
