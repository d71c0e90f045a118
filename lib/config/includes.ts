import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { builtinHandlers, readBuiltins } from './builtins.js';
import { readHandler, type HandlerContext, type ReadHandler } from './handlers.js';
import { Reader, type Field } from './reader.js';
import { SourceFile } from './source.js';
import type { BuiltinConfig, ManualScaling } from './types.js';
import { readManualScaling } from './scaling.js';

/** What an included file contributes, to be merged into app.yaml (SDK `AppInclude`). */
export interface IncludeContribution {
  heads: ReadHandler[];
  tails: ReadHandler[];
  env_variables: Record<string, string>;
  skip_files: Field[];
  builtins: BuiltinConfig[];
  /** Builtins seen so far, on or off: the first setting wins. */
  builtinsSeen: Map<string, boolean>;
  manual_scaling?: ManualScaling;
  beta_settings: Record<string, string>;
}

const INCLUDE_KEYS = [
  'builtins', 'includes', 'handlers', 'admin_console', 'manual_scaling', 'vm', 'vm_settings', 'beta_settings',
  'env_variables', 'build_env_variables', 'skip_files',
];
const ENV_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function emptyContribution(): IncludeContribution {
  return { heads: [], tails: [], env_variables: {}, skip_files: [], builtins: [], builtinsSeen: new Map(), beta_settings: {} };
}

/** Adds builtins (app.yaml's, then each include's) and their handlers to the contribution. */
export function addBuiltins(r: Reader, field: Field | undefined, into: IncludeContribution): void {
  for (const builtin of readBuiltins(r, field, into.builtinsSeen)) {
    into.builtins.push(builtin);
    for (const h of builtinHandlers(builtin)) (h.position === 'tail' ? into.tails : into.heads).push(h);
  }
}

/**
 * Reads `includes:` entries (files, or folders holding include.yaml) relative to the app root
 * into one contribution, in the SDK's order: each file's own handlers, then its builtins, then
 * its own includes; heads and tails each keep that order; a later file's env_variables win.
 */
export function readIncludes(r: Reader, field: Field | undefined, root: string, ctx: HandlerContext, into: IncludeContribution, visiting: Set<string>): string[] {
  const names: string[] = [];
  if (!field) return names;
  for (const item of r.list(field, 'includes') ?? []) {
    const name = r.string(item);
    if (name === undefined) continue;
    names.push(name);
    let path = resolve(root, name);
    if (path !== root && !path.startsWith(root + sep)) {
      r.error(item, `include "${name}" is outside the app folder`);
      continue;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'include.yaml');
    if (!existsSync(path)) {
      r.error(item, `include "${name}" not found (looked for ${relative(root, path) || path})`);
      continue;
    }
    if (visiting.has(path)) {
      r.error(item, `include "${name}" includes itself`);
      continue;
    }
    const src = SourceFile.parse(path, readFileSync(path, 'utf8'), r.problems);
    if (!src) continue;
    const sub = new Reader(src, r.problems, r.warnings);
    const fields = sub.mapping({ node: src.root, path: '' }, INCLUDE_KEYS, 'an included file');
    if (!fields) continue;
    const handlers = fields.get('handlers');
    for (const h of (handlers && sub.list(handlers, 'handlers')) || []) {
      const read = readHandler(sub, h, { ...ctx, includeFile: true });
      if (read) (read.position === 'tail' ? into.tails : into.heads).push(read);
    }
    Object.assign(into.env_variables, sub.stringMap(fields.get('env_variables'), ENV_NAME, 'env_variables'));
    Object.assign(into.beta_settings, sub.stringMap(fields.get('beta_settings'), ENV_NAME, 'beta_settings'));
    const skip = fields.get('skip_files');
    if (skip) into.skip_files.push(skip);
    const manual = fields.get('manual_scaling');
    const scaling = manual ? readManualScaling(sub, manual) : undefined;
    // Merged as the SDK does: the larger instance count wins.
    if (scaling && (!into.manual_scaling || scaling.instances > into.manual_scaling.instances)) into.manual_scaling = scaling;
    for (const key of ['admin_console', 'vm', 'vm_settings', 'build_env_variables']) sub.ignored(fields.get(key), `${key} has no effect in appyaml`);
    addBuiltins(sub, fields.get('builtins'), into);
    visiting.add(path);
    readIncludes(sub, fields.get('includes'), root, ctx, into, visiting);
    visiting.delete(path);
  }
  return names;
}
