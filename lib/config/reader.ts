import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { ConfigProblem } from './errors.js';
import type { SourceFile } from './source.js';
import { nearest } from './suggest.js';

/** A value found in the config, with the node and path to report problems at. */
export interface Field {
  node: Node | null;
  /** The key node, for problems about the key itself. */
  key?: Node | null;
  path: string;
}

type Scalar = string | number | boolean | null;

/**
 * Reads YAML nodes into typed values and records every problem with its position, so that a
 * config is either fully valid or rejected with all of its mistakes at once.
 */
export class Reader {
  constructor(
    readonly src: SourceFile,
    readonly problems: ConfigProblem[],
    readonly warnings: ConfigProblem[],
  ) {}

  error(field: Field, message: string, at: 'key' | 'value' = 'value'): undefined {
    this.problems.push(this.src.problem(at === 'key' && field.key ? field.key : field.node, field.path, message));
    return undefined;
  }

  warn(field: Field, message: string): void {
    this.warnings.push(this.src.problem(field.key ?? field.node, field.path, message));
  }

  /** The node behind an alias; `false` when the alias limit was hit (reported once per file). */
  private resolve(field: Field): Node | null | undefined | false {
    const node = this.src.resolve(field.node);
    if (node !== 'too-many-aliases') return node;
    if (!this.src.aliasLimitReported) {
      this.src.aliasLimitReported = true;
      this.error(field, 'too many YAML aliases (at most 100)');
    }
    return false;
  }

  /**
   * A mapping whose keys must be among `allowed`; unknown keys are errors that suggest the
   * nearest valid key. `describe` names the mapping in messages ("handler", "automatic_scaling").
   */
  mapping(field: Field, allowed: readonly string[], describe: string): Map<string, Field> | undefined {
    const node = this.resolve(field);
    if (node === false) return undefined;
    if (!isMap(node)) return this.error(field, `${describe} must be a mapping`);
    const fields = new Map<string, Field>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const path = field.path ? `${field.path}.${key}` : `${key}`;
      const entry: Field = { node: pair.value as Node | null, key: keyNode, path };
      if (key === undefined) {
        this.error({ node: keyNode, path: field.path }, 'keys must be plain scalars');
      } else if (!allowed.includes(key)) {
        const hint = nearest(key, allowed);
        this.error(entry, `unknown key "${key}" in ${describe}${hint ? `; did you mean "${hint}"?` : ''}`, 'key');
      } else {
        fields.set(key, entry);
      }
    }
    return fields;
  }

  list(field: Field, describe: string): Field[] | undefined {
    const node = this.resolve(field);
    if (node === false) return undefined;
    if (!isSeq(node)) return this.error(field, `${describe} must be a list`);
    return node.items.map((item, i) => ({ node: item as Node | null, path: `${field.path}[${i}]` }));
  }

  /** The scalar's value and source text; undefined if not a scalar, `false` if already reported. */
  private scalar(field: Field): { value: Scalar; text: string } | undefined | false {
    const node = this.resolve(field);
    if (node === false) return false;
    if (!isScalar(node)) return undefined;
    const value = node.value as Scalar;
    const text = typeof node.source === 'string' ? node.source : String(value);
    return { value, text };
  }

  /** A string; numbers are taken as written (`version: 1`), as App Engine converts them. */
  string(field: Field | undefined, what = 'a string'): string | undefined {
    if (!field) return undefined;
    const s = this.scalar(field);
    if (s === false) return undefined;
    if (!s || s.value === null || typeof s.value === 'boolean') return this.error(field, `must be ${what}`);
    return typeof s.value === 'string' ? s.value : s.text;
  }

  /** A string matching `pattern` (anchored); `what` describes the expected shape. */
  matching(field: Field | undefined, pattern: RegExp, what: string): string | undefined {
    const value = this.string(field, what);
    if (value === undefined || !field) return undefined;
    if (!pattern.test(value)) return this.error(field, `"${value}" is not valid: must be ${what}`);
    return value;
  }

  oneOf<T extends string>(field: Field | undefined, values: readonly T[]): T | undefined {
    if (!field) return undefined;
    const s = this.scalar(field);
    if (s === false) return undefined;
    const text = s && s.value !== null ? String(s.value) : undefined;
    if (text !== undefined && (values as readonly string[]).includes(text)) return text as T;
    const hint = text !== undefined ? nearest(text, values) : undefined;
    const shown = s === undefined ? 'a non-scalar' : s.value === null ? 'an empty value' : `"${s.text}"`;
    return this.error(field, `${shown} is not allowed; use one of ${values.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }

  bool(field: Field | undefined): boolean | undefined {
    if (!field) return undefined;
    const s = this.scalar(field);
    if (s === false) return undefined;
    if (!s || typeof s.value !== 'boolean') return this.error(field, 'must be true or false');
    return s.value;
  }

  /** A number within [min, max]; integers only unless `fraction` is set. Numeric strings are accepted. */
  number(field: Field | undefined, min: number, max: number, fraction = false): number | undefined {
    if (!field) return undefined;
    const s = this.scalar(field);
    if (s === false) return undefined;
    const n = typeof s?.value === 'number' ? s.value : typeof s?.value === 'string' && /^-?\d+(\.\d+)?$/.test(s.value) ? Number(s.value) : NaN;
    const kind = fraction ? 'a number' : 'a whole number';
    if (!Number.isFinite(n) || (!fraction && !Number.isInteger(n))) return this.error(field, `must be ${kind}`);
    if (n < min || n > max) return this.error(field, `must be ${kind} from ${min} to ${max}, not ${n}`);
    return n;
  }

  /** Every entry of a mapping, in order, whatever its keys; undefined (reported) when not a mapping. */
  entries(field: Field, describe: string): Field[] | undefined {
    const node = this.resolve(field);
    if (node === false || node === null || node === undefined) return node === false ? undefined : [];
    if (!isMap(node)) return this.error(field, `${describe} must be a mapping`);
    return node.items.map((pair) => {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      return { node: pair.value as Node | null, key: keyNode, path: `${field.path}.${key}` };
    });
  }

  /** The key text of a field read through `entries`. */
  keyOf(field: Field): string {
    return isScalar(field.key) ? String(field.key.value) : '';
  }

  /** A mapping of names (matching `keyPattern`) to string values, e.g. `env_variables`. */
  stringMap(field: Field | undefined, keyPattern: RegExp, describe: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of (field && this.entries(field, describe)) || []) {
      const key = this.keyOf(entry);
      if (!keyPattern.test(key)) {
        this.error(entry, `"${key}" is not a valid name in ${describe}`, 'key');
        continue;
      }
      const value = this.string(entry);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /** Accepts an element App Engine knows but appyaml does not act on, with a warning. */
  ignored(field: Field | undefined, why: string): void {
    if (field) this.warn(field, `ignored: ${why}`);
  }
}
