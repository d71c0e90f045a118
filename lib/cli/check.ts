import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { checkAppYaml, checkDeployLimits, formatProblem, uploadSet, type UploadRule } from '../index.js';
import { color, EXIT, formatBytes } from './output.js';

export const CHECK_HELP = `Usage: appyaml check [dir|app.yaml] [--list] [--json]

Validates app.yaml as App Engine would and prints every problem as file:line:column, then
checks what gcloud app deploy would upload against App Engine's limits: at most 10,000 files,
1,000 in one folder, 32 MB per file. The files are chosen as gcloud chooses them: .gcloudignore
(gitignore syntax, #!include:.gitignore), or on python27 and flex without one, skip_files.

Options:
  --list   also print every file that would be uploaded, with its size
  --json   print {"ok", "problems", "warnings", "upload"} as JSON
  -h, --help

Exit codes: 0 valid and within the limits, 1 config errors or a limit exceeded, 2 bad usage.`;

function describeRule(rule: UploadRule, root: string): string {
  if (rule.kind === 'gcloudignore') return `chosen by ${relative(root, rule.file)}`;
  if (rule.kind === 'generated-gcloudignore') return 'chosen by the .gcloudignore gcloud would generate';
  return 'chosen by skip_files';
}

export function runCheck(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    console.error(`appyaml check: ${(err as Error).message}\n\n${CHECK_HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(CHECK_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    console.error(CHECK_HELP);
    return EXIT.usage;
  }
  const result = checkAppYaml(positionals[0] ?? '.');
  const config = result.config;
  const upload = config ? uploadSet(config) : undefined;
  const limits = upload ? checkDeployLimits(upload.files) : [];
  const ok = config !== undefined && !upload?.error && limits.length === 0;
  const bytes = upload?.files.reduce((sum, f) => sum + f.size, 0) ?? 0;

  if (values.json) {
    const uploadJson = upload && {
      rule: upload.rule,
      files: upload.files.length,
      bytes,
      ...(upload.error ? { error: upload.error } : {}),
      limits,
      ...(values.list ? { list: upload.files } : {}),
    };
    console.log(JSON.stringify({ ok, problems: result.problems, warnings: result.warnings, ...(uploadJson ? { upload: uploadJson } : {}) }, null, 2));
    return ok ? EXIT.ok : EXIT.configError;
  }
  for (const p of result.problems) console.log(`${color.red('error')} ${formatProblem(p)}`);
  for (const w of result.warnings) console.log(`${color.yellow('warning')} ${formatProblem(w)}`);
  if (!config || !upload) {
    console.log(color.red(`${result.problems.length} error${result.problems.length === 1 ? '' : 's'}`));
    return EXIT.configError;
  }
  if (values.list) for (const f of upload.files) console.log(`${formatBytes(f.size).padStart(9)}  ${f.path}`);
  if (upload.error) console.log(`${color.red('error')} ${upload.error}`);
  for (const p of limits) console.log(`${color.red('error')} ${p.message}`);
  const summary = `${config.file}: ${config.handlers.length} handlers; ${upload.files.length} file${upload.files.length === 1 ? '' : 's'} (${formatBytes(bytes)}) to upload, ${describeRule(upload.rule, config.root)}`;
  console.log(ok ? color.green(`ok: ${summary}`) : color.red(summary));
  return ok ? EXIT.ok : EXIT.configError;
}
