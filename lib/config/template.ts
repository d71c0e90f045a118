import type { UrlMatch } from './url-pattern.js';

/**
 * A `static_files` or `script` value with back-references, expanded as Python's `match.expand`
 * does: `\1`…`\99`, `\g<n>` and `\g<name>`; a group that did not take part expands to ''.
 */
export type TemplatePart = string | { group: number | string };

export class TemplateError extends Error {}

export function parseTemplate(source: string, groupCount: number, groupNames: ReadonlyMap<string, number>): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  const push = (group: number | string) => {
    if (typeof group === 'number' && (group < 1 || group > groupCount)) {
      throw new TemplateError(`\\${group} refers to a group the url pattern does not have (it has ${groupCount})`);
    }
    if (typeof group === 'string' && !groupNames.has(group)) throw new TemplateError(`\\g<${group}> names no group of the url pattern`);
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ group });
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c !== '\\') {
      literal += c;
      continue;
    }
    const rest = source.slice(i + 1);
    const digits = /^\d{1,2}/.exec(rest);
    const named = /^g<([^>]*)>/.exec(rest);
    if (digits) {
      push(Number(digits[0]));
      i += digits[0].length;
    } else if (named) {
      const ref = named[1]!;
      push(/^\d+$/.test(ref) ? Number(ref) : ref);
      i += named[0].length;
    } else if (rest[0] === '\\') {
      literal += '\\';
      i++;
    } else {
      throw new TemplateError(`"\\${rest[0] ?? ''}" is not a back-reference; write \\1 or \\g<name>`);
    }
  }
  if (literal) parts.push(literal);
  return parts;
}

export function expandTemplate(parts: readonly TemplatePart[], match: UrlMatch): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else out += match.groups[typeof part.group === 'number' ? part.group : match.named.get(part.group)!] ?? '';
  }
  return out;
}
