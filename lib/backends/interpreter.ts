import { existsSync } from 'node:fs';

/** Debian's interpreter, which sees Debian's python3-* packages (Flask, ...); a pyenv `python3` does not. */
const SYSTEM_PYTHON = '/usr/bin/python3';

/** The Python interpreter when none is configured: `/usr/bin/python3` when it exists, else `python3` on PATH. */
export function defaultPython(): string {
  return existsSync(SYSTEM_PYTHON) ? SYSTEM_PYTHON : 'python3';
}

/**
 * What every Python process of an app gets besides the inherited basics: the app folder on the
 * module path, UTF-8 stdio whatever the locale, and no `__pycache__` written into the app.
 */
export function pythonEnvironment(root: string): Record<string, string> {
  return { PYTHONPATH: root, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' };
}
