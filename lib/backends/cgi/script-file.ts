import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/** A CGI script found in the app. */
export interface ScriptFile {
  /** Its real absolute path. */
  path: string;
  /** Its folder: the working directory of a spawned script (RFC 3875 §7.2). */
  dir: string;
  /** A `.py` script, run by the interpreter; any other must be executable itself. */
  python: boolean;
}

/** Why a `script:` cannot run: 404 when there is no such script in the app (App Engine's CGI error 2). */
export type ScriptProblem = { status: 404 | 502; message: string };

/**
 * The script a handler names (`main.py`, `cgi-bin/run`, after `\1` expansion), relative to the
 * app's real root: a regular file inside it, symbolic links resolved and held to the root too.
 * A script that is not `.py` must be executable (502 otherwise, as a failed spawn would give).
 */
export function findScript(root: string, script: string): ScriptFile | ScriptProblem {
  if (script.includes('\0') || isAbsolute(script)) return { status: 404, message: `script ${JSON.stringify(script)} is not a path inside the app` };
  let path: string;
  try {
    path = realpathSync(resolve(root, script));
  } catch {
    return { status: 404, message: `script ${script} does not exist` };
  }
  const inside = relative(root, path);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return { status: 404, message: `script ${script} is outside the app` };
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return { status: 404, message: `script ${script} is not a file` };
  const python = path.endsWith('.py');
  if (!python) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      return { status: 502, message: `script ${script} is not executable` };
    }
  }
  return { path, dir: dirname(path), python };
}
