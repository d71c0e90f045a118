import type { UploadFile } from './upload-set.js';

/** App Engine's deploy limits (spec §4; the python27-era quotas page). */
export const DEPLOY_LIMITS = {
  /** Files in one version. */
  files: 10_000,
  /** Files directly inside one folder. */
  filesPerDirectory: 1_000,
  /** Bytes of one file (32 MB). */
  fileBytes: 32 * 1024 * 1024,
} as const;

/** A deploy limit the upload set breaks. */
export interface DeployLimitProblem {
  limit: keyof typeof DEPLOY_LIMITS;
  /** The file or folder (`''` for the app root) at fault; the app for the total count. */
  path: string;
  /** What was counted or measured. */
  actual: number;
  message: string;
}

/** Checks an upload set against App Engine's limits; every problem at once, largest first per kind. */
export function checkDeployLimits(files: readonly UploadFile[], limits: { files: number; filesPerDirectory: number; fileBytes: number } = DEPLOY_LIMITS): DeployLimitProblem[] {
  const problems: DeployLimitProblem[] = [];
  if (files.length > limits.files) {
    problems.push({ limit: 'files', path: '', actual: files.length, message: `${files.length} files to upload; App Engine takes at most ${limits.files} per version` });
  }
  const perDirectory = new Map<string, number>();
  for (const file of files) {
    const slash = file.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : file.path.slice(0, slash);
    perDirectory.set(dir, (perDirectory.get(dir) ?? 0) + 1);
  }
  for (const [dir, count] of [...perDirectory].sort((a, b) => b[1] - a[1])) {
    if (count <= limits.filesPerDirectory) break;
    problems.push({ limit: 'filesPerDirectory', path: dir, actual: count, message: `${count} files in ${dir || 'the app folder'}; App Engine takes at most ${limits.filesPerDirectory} per folder` });
  }
  for (const file of [...files].sort((a, b) => b.size - a.size)) {
    if (file.size <= limits.fileBytes) break;
    problems.push({ limit: 'fileBytes', path: file.path, actual: file.size, message: `${file.path} is ${file.size} bytes; App Engine takes files up to ${limits.fileBytes} bytes (32 MB)` });
  }
  return problems;
}
