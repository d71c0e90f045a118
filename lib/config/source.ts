import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ConfigProblem } from './errors.js';

/** Limits that keep a hostile config from costing more than a real one (security.md §1.6). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_FLOW_DEPTH = 64;
export const MAX_ALIASES = 100;

/** A parsed YAML file (or an object given in code) and how to locate its nodes. */
export class SourceFile {
  private aliasCount = 0;
  /** Set once the alias limit has been reported, so that it is reported only once. */
  aliasLimitReported = false;

  private constructor(
    readonly name: string,
    readonly doc: Document,
    private readonly lines: LineCounter | undefined,
  ) {}

  /** Parses YAML text; syntax problems are pushed to `problems` and the result may be undefined. */
  static parse(name: string, text: string, problems: ConfigProblem[]): SourceFile | undefined {
    if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
      problems.push({ file: name, path: '', message: `file is larger than ${MAX_CONFIG_BYTES} bytes` });
      return undefined;
    }
    const deep = findDeepNesting(text);
    if (deep !== undefined) {
      const lines = new LineCounter();
      lines.addNewLine(0);
      for (let i = 0; i < deep; i++) if (text.charCodeAt(i) === 10) lines.addNewLine(i + 1);
      const { line, col } = lines.linePos(deep);
      problems.push({ file: name, line, column: col, path: '', message: `nesting deeper than ${MAX_FLOW_DEPTH} levels` });
      return undefined;
    }
    const lines = new LineCounter();
    // YAML 1.1 as App Engine's PyYAML reads it: `yes`/`on` are booleans; duplicate keys are errors.
    const doc = parseDocument(text, { lineCounter: lines, version: '1.1', uniqueKeys: true, prettyErrors: false });
    const file = new SourceFile(name, doc, lines);
    for (const err of [...doc.errors, ...doc.warnings]) {
      const [start] = err.pos;
      const { line, col } = lines.linePos(start);
      const path = pathAt(doc.contents as Node | null, start);
      const message =
        err.code === 'DUPLICATE_KEY'
          ? `duplicate key "${/[^.\]]*$/.exec(path)![0]}": each key may appear once in a mapping`
          : err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      problems.push({ file: name, line, column: col, path, message });
    }
    if (doc.errors.length > 0) return undefined;
    return file;
  }

  /** Wraps a configuration object given in code; its problems carry paths but no line numbers. */
  static fromObject(name: string, value: unknown): SourceFile {
    return new SourceFile(name, new Document(value, { version: '1.1' }), undefined);
  }

  get root(): Node | null {
    return this.doc.contents as Node | null;
  }

  /** Follows an alias to its anchor, counting them so that an alias bomb is refused. */
  resolve(node: Node | null | undefined): Node | null | undefined | 'too-many-aliases' {
    if (!node || !isAlias(node)) return node;
    if (++this.aliasCount > MAX_ALIASES) return 'too-many-aliases';
    return node.resolve(this.doc) as Node | undefined;
  }

  problem(node: Node | null | undefined, path: string, message: string): ConfigProblem {
    const offset = node?.range?.[0];
    if (this.lines === undefined || offset === undefined) return { file: this.name, path, message };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.name, line, column: col, path, message };
  }
}

/** The element path (`handlers[0].url`) of the innermost key or item at `offset`, for parse errors. */
function pathAt(node: Node | null, offset: number, path = ''): string {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      const name = isScalar(key) ? String(key.value) : '?';
      const here = path ? `${path}.${name}` : name;
      if (key?.range && offset >= key.range[0] && offset < key.range[2]) return here;
      if (value?.range && offset >= value.range[0] && offset < value.range[2]) return pathAt(value, offset, here);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of (node.items as Array<Node | null>).entries()) {
      if (item?.range && offset >= item.range[0] && offset < item.range[2]) return pathAt(item, offset, `${path}[${i}]`);
    }
  }
  return path;
}

/** Offset where `[`/`{` nesting passes the limit, outside quotes and comments; undefined if it never does. */
function findDeepNesting(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (comment) {
      if (c === '\n') comment = false;
    } else if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      comment = true;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}
