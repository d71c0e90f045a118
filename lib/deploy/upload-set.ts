import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SKIP_FILES } from '../config/app-info.js';
import type { AppConfig } from '../config/types.js';
import { GcloudIgnore, GcloudIgnoreError } from './gcloudignore.js';

/** One file `gcloud app deploy` would upload. */
export interface UploadFile {
  /** Root-relative, `/`-separated. */
  path: string;
  size: number;
}

/** Which rule chose the files, as gcloud picks it (its `source_files_util.GetSourceFiles`). */
export type UploadRule =
  /** The app's `.gcloudignore`. */
  | { kind: 'gcloudignore'; file: string }
  /** Second-generation runtimes without a `.gcloudignore`: the one gcloud would generate. */
  | { kind: 'generated-gcloudignore'; text: string }
  /** python27 and flex without a `.gcloudignore`: `skip_files` (App Engine's default when not set). */
  | { kind: 'skip_files'; pattern: string };

export interface UploadSet {
  rule: UploadRule;
  /** The files, depth first, names sorted within each folder. */
  files: UploadFile[];
  /** Why the set could not be made (gcloud would refuse the deploy); `files` is then empty. */
  error?: string;
}

/** The `.gcloudignore` header gcloud writes (its `DEFAULT_IGNORE_FILE`). */
const DEFAULT_GCLOUDIGNORE = ['.gcloudignore', '.git', '.gitignore'];

/** What gcloud adds per second-generation runtime family when it generates the file. */
const GENERATED_GCLOUDIGNORE: Array<[RegExp, string[]]> = [
  [/^python3/, ['__pycache__/', '/setup.cfg']],
  [/^nodejs/, ['node_modules/']],
  [/^php/, ['/vendor/']],
  [/^go1/, ['*.exe', '*.exe~', '*.dll', '*.so', '*.dylib', '*.test', '*.out']],
  [/^java/, ['target/']],
];

const IGNORE_FILE = '.gcloudignore';

/**
 * The files `gcloud app deploy` would upload for `config`'s app folder, by gcloud's rules:
 * second-generation runtimes use the app's `.gcloudignore`, or the one gcloud would generate
 * (`skip_files` is an error there, as the config loader already says); python27 and flex use the
 * `.gcloudignore` when there is one (an explicit `skip_files` beside it is an error), else
 * `skip_files`. Symbolic links are followed, as gcloud does; a link back into its own folder is
 * an error.
 */
export function uploadSet(config: AppConfig): UploadSet {
  const root = config.root;
  const explicitSkipFiles = !(config.skip_files.sources.length === 1 && config.skip_files.sources[0] === DEFAULT_SKIP_FILES);
  const hasIgnoreFile = existsSync(join(root, IGNORE_FILE));
  const generated = config.environment === 'standard' ? GENERATED_GCLOUDIGNORE.find(([runtime]) => runtime.test(config.runtime)) : undefined;

  let rule: UploadRule;
  let keep: (path: string, isDir: boolean) => boolean;
  try {
    if (hasIgnoreFile) {
      rule = { kind: 'gcloudignore', file: join(root, IGNORE_FILE) };
      if (explicitSkipFiles && !generated) {
        return { rule, files: [], error: 'cannot have both a .gcloudignore file and skip_files in the same app; move the skip_files patterns to .gcloudignore' };
      }
      const ignore = GcloudIgnore.fromFile(rule.file, root);
      keep = (path, isDir) => ignore.includes(path, isDir);
    } else if (generated) {
      const text = [...DEFAULT_GCLOUDIGNORE, ...generated[1]].join('\n');
      rule = { kind: 'generated-gcloudignore', text };
      const ignore = GcloudIgnore.fromString(text, root);
      keep = (path, isDir) => ignore.includes(path, isDir);
    } else {
      rule = { kind: 'skip_files', pattern: config.skip_files.pattern.source };
      // gcloud's FileIterator: re.match against the root-relative path, folders named without a slash.
      keep = (path) => !config.skip_files.pattern.test(path);
    }
  } catch (err) {
    if (!(err instanceof GcloudIgnoreError)) throw err;
    return { rule: { kind: 'gcloudignore', file: join(root, IGNORE_FILE) }, files: [], error: err.message };
  }

  const files: UploadFile[] = [];
  try {
    walk(root, '', keep, files, [realpathSync(root)]);
  } catch (err) {
    if (!(err instanceof SymlinkLoopError)) throw err;
    return { rule, files: [], error: err.message };
  }
  return { rule, files };
}

class SymlinkLoopError extends Error {}

function walk(dir: string, rel: string, keep: (path: string, isDir: boolean) => boolean, out: UploadFile[], ancestors: string[]): void {
  // Sorted, so that a listing and the first error found do not depend on the file system's order.
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    const path = rel ? `${rel}/${name}` : name;
    let stats;
    try {
      stats = statSync(abs);
    } catch {
      continue; // a dangling link: gcloud's walk skips it too
    }
    if (stats.isDirectory()) {
      if (!keep(path, true)) continue;
      const real = realpathSync(abs);
      if (ancestors.includes(real)) throw new SymlinkLoopError(`the symbolic link ${path} refers to a folder that contains it`);
      walk(abs, path, keep, out, [...ancestors, real]);
    } else if (stats.isFile() && keep(path, false)) {
      out.push({ path, size: stats.size });
    }
  }
}
