import type { AppConfig } from '../../config/types.js';
import { literalPrefix } from '../../router/literal-prefix.js';

/**
 * Which files of the app folder a deployment would hold as static files: a file some static
 * handler could serve (under a `static_dir`, or matching a `static_files` handler's `upload`)
 * that `skip_files` does not exclude. Paths are root-relative with `/` separators.
 */
export interface FileScope {
  /**
   * Folders (`static/`, with the slash) the candidates can live in; `''` stands for the whole
   * app. Derived from each handler's literal prefix, so an app's virtualenv or node_modules is
   * never walked unless a handler could serve from it.
   */
  readonly bases: readonly string[];
  /** A file some static handler could serve. */
  candidate(path: string): boolean;
  /** Excluded by skip_files (re.match semantics: anchored at the start only), or holding a newline. */
  skipped(path: string): boolean;
  /** A folder that may contain candidates (`path` without the trailing slash). */
  mayContain(dir: string): boolean;
}

export function fileScope(app: AppConfig): FileScope {
  const dirs: string[] = [];
  const uploads: RegExp[] = [];
  const bases = new Set<string>();
  for (const handler of app.handlers) {
    if (handler.type === 'static_dir') {
      dirs.push(`${handler.static_dir}/`);
      bases.add(`${handler.static_dir}/`);
    } else if (handler.type === 'static_files') {
      uploads.push(handler.uploadPattern);
      const prefix = literalPrefix(handler.upload);
      bases.add(prefix.slice(0, prefix.lastIndexOf('/') + 1));
    }
  }
  const minimal = [...bases].filter((base) => ![...bases].some((other) => other !== base && base.startsWith(other)));
  const skip = app.skip_files.pattern;
  return {
    bases: minimal,
    candidate: (path) => dirs.some((dir) => path.startsWith(dir)) || uploads.some((upload) => upload.test(path)),
    // A name with a newline is read differently by Python's regexes and ours: never served.
    skipped: (path) => path.includes('\n') || skip.test(path),
    mayContain: (dir) => {
      const folder = `${dir}/`;
      return minimal.some((base) => folder.startsWith(base) || base.startsWith(folder));
    },
  };
}
