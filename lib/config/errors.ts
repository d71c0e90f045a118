/** Where a problem sits in a config file; line and column are 1-based and absent for object configs. */
export interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
}

/** One thing wrong (or worth a warning) in an app.yaml, with where it is and which element it concerns. */
export interface ConfigProblem extends SourcePosition {
  /** The element's path, e.g. `handlers[3].static_dir`. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column}`;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Thrown by `loadAppYaml` with every problem found; nothing is half-loaded. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const n = problems.length;
    super(`${n} problem${n === 1 ? '' : 's'} in app configuration:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
