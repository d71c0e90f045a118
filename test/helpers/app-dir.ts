/** Temp app folders with real files, so config positions and file checks are real. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkAppYaml, type AppYamlCheck } from '../../lib/config/load.js';
import type { ConfigProblem } from '../../lib/config/errors.js';

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the OS temp dir holding `files` (relative path → content); removed when the process exits. */
export function appDir(files: Record<string, string | Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'appyaml-'));
  created.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

/** Writes `yaml` as app.yaml (plus `files`) into a fresh folder and checks it. */
export function checkYaml(yaml: string, files: Record<string, string | Buffer> = {}): AppYamlCheck & { dir: string } {
  const dir = appDir({ ...files, 'app.yaml': yaml });
  return { ...checkAppYaml(dir), dir };
}

/** Joins lines with newlines (and a final newline): keeps multi-line YAML readable in tables. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A python27 app.yaml: `runtime` on line 1, `threadsafe` on line 2, `lines` from line 3. */
export function py27(...lines: string[]): string {
  return yaml('runtime: python27', 'threadsafe: true', ...lines);
}

/** A short description of problems for assertion messages. */
export function describe(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${path.basename(p.file)}:${p.line}:${p.column} [${p.path}] ${p.message}`).join('\n') || '(no problems)';
}
