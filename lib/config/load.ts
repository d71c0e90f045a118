import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readAppInfo } from './app-info.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { Reader } from './reader.js';
import { SourceFile } from './source.js';
import type { AppConfig } from './types.js';

/**
 * Where to read the config from: a path to app.yaml (or to the app folder holding it), or
 * `{ root, config }` with the config as an object or YAML text, or `{ root, file }`.
 */
export type AppYamlSource =
  | string
  | {
      /** The app folder; file paths in the config are relative to it. */
      root: string;
      /** The config itself (an object shaped like app.yaml, or YAML text) instead of a file. */
      config?: Record<string, unknown> | string;
      /** The config file, relative to root; default `app.yaml`. */
      file?: string;
    };

export interface AppYamlCheck {
  /** The validated config; absent when there are problems. */
  config?: AppConfig;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** Validates a config and reports every problem and warning without throwing. */
export function checkAppYaml(source: AppYamlSource): AppYamlCheck {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const { root, file, text, object } = locate(source, problems);
  const src =
    object !== undefined ? SourceFile.fromObject(file, object) : text !== undefined ? SourceFile.parse(file, text, problems) : undefined;
  if (!src) return { problems, warnings };
  const reader = new Reader(src, problems, warnings);
  const config = readAppInfo(reader, { node: src.root, path: '' }, root);
  problems.sort(byPosition);
  warnings.sort(byPosition);
  if (problems.length > 0 || !config) return { problems, warnings };
  return { config, problems, warnings };
}

/** Loads and validates app.yaml; throws ConfigError carrying every problem found. */
export function loadAppYaml(source: AppYamlSource): AppConfig {
  const result = checkAppYaml(source);
  if (!result.config) throw new ConfigError(result.problems);
  return result.config;
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) : 0;
}

function locate(source: AppYamlSource, problems: ConfigProblem[]): { root: string; file: string; text?: string; object?: unknown } {
  if (typeof source !== 'string' && source.config !== undefined) {
    const root = resolve(source.root);
    return typeof source.config === 'string'
      ? { root, file: join(root, source.file ?? 'app.yaml'), text: source.config }
      : { root, file: '<config>', object: source.config };
  }
  let file = typeof source === 'string' ? resolve(source) : resolve(source.root, source.file ?? 'app.yaml');
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'app.yaml');
  const root = typeof source === 'string' ? dirname(file) : resolve(source.root);
  try {
    return { root, file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    problems.push({ file, path: '', message: `cannot read the config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return { root, file };
  }
}
