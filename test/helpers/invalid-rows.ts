/** Runs a table of invalid configs: each must be rejected with one exact problem. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { checkYaml, describe } from './app-dir.js';

export interface InvalidRow {
  name: string;
  yaml: string;
  /** The element path of the expected problem. */
  path: string;
  /** 1-based line and column of the expected problem. */
  at: [line: number, column: number];
  message: RegExp;
  /** Other files in the app folder. */
  files?: Record<string, string>;
  /** The file the problem is reported in, when it is not app.yaml. */
  file?: string;
  /** How many problems in all; default 1. */
  total?: number;
  /** The loader disagrees with the spec on the whole row. */
  todo?: string;
  /** The loader reports the problem, but at the wrong place: the row's `at` is the right one. */
  positionTodo?: string;
  /** The loader reports the problem, plus noise: the row's `total` is the right count. */
  countTodo?: string;
}

export function row(name: string, yaml: string, path: string, at: [number, number], message: RegExp, more: Partial<InvalidRow> = {}): InvalidRow {
  return { name, yaml, path, at, message, ...more };
}

export function runRows(rows: readonly InvalidRow[]): void {
  for (const r of rows) {
    test(r.name, { todo: r.todo }, async (t) => {
      const result = checkYaml(r.yaml, r.files);
      const all = describe(result.problems);
      assert.equal(result.config, undefined, 'the config must be rejected');
      const found = result.problems.filter((p) => p.path === r.path && r.message.test(p.message));
      assert.equal(found.length, 1, `expected one problem at ${r.path} matching ${r.message}, got:\n${all}`);
      const p = found[0]!;
      assert.equal(path.basename(p.file), r.file ?? 'app.yaml', all);
      const position = () => assert.deepEqual([p.line, p.column], r.at, `position of ${r.path}:\n${all}`);
      const count = () => assert.equal(result.problems.length, r.total ?? 1, `problem count:\n${all}`);
      if (r.positionTodo) await t.test('at the right position', { todo: r.positionTodo }, position);
      else position();
      if (r.countTodo) await t.test('with no other problems', { todo: r.countTodo }, count);
      else count();
    });
  }
}
