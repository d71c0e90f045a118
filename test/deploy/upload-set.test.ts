/**
 * lib/deploy: `.gcloudignore` matching as gcloud does it, the upload set gcloud would pick, and
 * App Engine's deploy limits. The matching table's expectations were produced by running gcloud's
 * own matcher (its `glob` and `gcloudignore` modules) on each row, including its quirks.
 */
import assert from 'node:assert/strict';
import { symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadAppYaml } from '../../lib/config/load.js';
import { checkDeployLimits, DEPLOY_LIMITS, GcloudIgnore, GcloudIgnoreError, uploadSet } from '../../lib/deploy/index.js';
import { appDir, py27, yaml } from '../helpers/app-dir.js';

/** [ignore-file text, path, is a folder, uploaded] */
const TABLE: Array<[string, string, boolean, boolean]> = [
  ["*.log", "a/b/c.log", false, false],
  ["*.log", "a/b/c.txt", false, true],
  ["/build", "build/x.js", false, false],
  ["/build", "src/build/x.js", false, true],
  ["build/", "build", false, true],
  ["build/", "build/x.js", false, false],
  ["build/", "src/build", true, false],
  ["docs/*.md", "docs/a.md", false, false],
  ["docs/*.md", "x/docs/a.md", false, false],
  ["docs/*.md", "docs/sub/a.md", false, true],
  ["*/bar", "foo/bar", false, false],
  ["*/bar", "a/foo/bar", false, false],
  ["**/cache", "cache/x", false, false],
  ["**/cache", "a/b/cache/x", false, false],
  ["a/**/b", "a/b", false, false],
  ["a/**/b", "a/x/y/b", false, false],
  ["a/**/b", "z/a/x/b", false, true],
  ["logs/**", "logs/today/x.log", false, false],
  ["*", ".env", false, false],
  ["?", "a", false, false],
  ["[!a]*", "abc", false, true],
  ["[!a]*", "bcd", false, false],
  ["*.py\n!keep.py", "keep.py", false, true],
  ["*.py\n!keep.py", "drop.py", false, false],
  ["lib/\n!lib/keep.py", "lib/keep.py", false, false],
  ["/*\n!/main.py", "main.py", false, true],
  ["/*\n!/main.py", "app.yaml", false, false],
  ["\\#notes", "#notes", false, false],
  ["\\!important", "!important", false, false],
  ["trailing  ", "trailing", false, false],
  ["space\\ ", "space ", false, false],
  ["odd\\", "odd\\", false, true],
  ["x\\*y", "xay", false, false],
  ["# comment\n\n   \nfoo", "foo", false, false],
  ["Foo", "foo", false, true],
  ["a//b", "a/b", false, true],
];

describe('GcloudIgnore', () => {
  for (const [text, file, isDir, uploaded] of TABLE) {
    it(`${JSON.stringify(text)} ${uploaded ? 'keeps' : 'ignores'} ${file}${isDir ? '/' : ''}`, () => {
      assert.equal(GcloudIgnore.fromString(text, '/nonexistent', 0).includes(file, isDir), uploaded);
    });
  }

  it('follows #!include: one level deep, from the same folder only', () => {
    const dir = appDir({ '.gitignore': 'secret.txt\n#!include:.deeper\n', '.deeper': 'deep.txt\n' });
    const ignore = GcloudIgnore.fromString('#!include:.gitignore\n!keep.txt\n', dir);
    assert.equal(ignore.includes('secret.txt'), false);
    assert.equal(ignore.includes('sub/secret.txt'), false);
    assert.equal(ignore.includes('deep.txt'), true, 'an include inside an included file is a comment');
    assert.throws(() => GcloudIgnore.fromString('#!include:../x\n', dir), GcloudIgnoreError);
    assert.throws(() => GcloudIgnore.fromString('#!include:missing\n', dir), /cannot read ignore file/);
  });
});

function names(root: string): string[] {
  return uploadSet(loadAppYaml(root)).files.map((f) => f.path);
}

describe('uploadSet', () => {
  const files = {
    'main.py': 'x',
    'main.pyc': 'x',
    '.env': 'x',
    '.git/HEAD': 'x',
    '.gitignore': 'notes.txt\n',
    'notes.txt': 'x',
    'backup~': 'x',
    '__pycache__/main.cpython-311.pyc': 'x',
    'static/a.css': 'x',
    'static/RCS/a,v': 'x',
    'setup.cfg': 'x',
  };

  it('python27 without .gcloudignore: skip_files (App Engine default) decides', () => {
    const dir = appDir({ ...files, 'app.yaml': py27('handlers:', '- url: /.*', '  script: main.app') });
    const set = uploadSet(loadAppYaml(dir));
    assert.equal(set.rule.kind, 'skip_files');
    assert.deepEqual(set.files.map((f) => f.path), ['app.yaml', 'main.py', 'notes.txt', 'setup.cfg', 'static/a.css']);
    assert.equal(set.files.find((f) => f.path === 'main.py')!.size, 1);
  });

  it('python27 with an explicit skip_files', () => {
    const dir = appDir({ ...files, 'app.yaml': py27('skip_files:', '- ^notes\\.txt$', 'handlers:', '- url: /.*', '  script: main.app') });
    assert.deepEqual(names(dir), ['.env', '.git/HEAD', '.gitignore', '__pycache__/main.cpython-311.pyc', 'app.yaml', 'backup~', 'main.py', 'main.pyc', 'setup.cfg', 'static/RCS/a,v', 'static/a.css']);
  });

  it('python3x without .gcloudignore: the file gcloud would generate (dotfiles other than git are uploaded)', () => {
    const dir = appDir({ ...files, 'app.yaml': yaml('runtime: python312') });
    const set = uploadSet(loadAppYaml(dir));
    assert.equal(set.rule.kind, 'generated-gcloudignore');
    assert.deepEqual(set.files.map((f) => f.path), ['.env', 'app.yaml', 'backup~', 'main.py', 'main.pyc', 'notes.txt', 'static/RCS/a,v', 'static/a.css']);
  });

  it('a .gcloudignore with #!include:.gitignore, negation and folder patterns', () => {
    const dir = appDir({ ...files, 'app.yaml': yaml('runtime: python312'), '.gcloudignore': '.*\n!.env\n#!include:.gitignore\n*.py[co]\n__pycache__/\nstatic/\n!static/a.css\n' });
    const set = uploadSet(loadAppYaml(dir));
    assert.deepEqual(set.rule, { kind: 'gcloudignore', file: path.join(dir, '.gcloudignore') });
    // static/ is ignored as a folder, so static/a.css cannot come back: gcloud (and git) prune it.
    assert.deepEqual(set.files.map((f) => f.path), ['.env', 'app.yaml', 'backup~', 'main.py', 'setup.cfg']);
  });

  it('python27 with both .gcloudignore and an explicit skip_files is refused, as gcloud refuses it', () => {
    const dir = appDir({ 'main.py': 'x', '.gcloudignore': 'x\n', 'app.yaml': py27('skip_files: ^x$', 'handlers:', '- url: /.*', '  script: main.app') });
    const set = uploadSet(loadAppYaml(dir));
    assert.deepEqual(set.files, []);
    assert.match(set.error!, /both a \.gcloudignore file and skip_files/);
  });

  it('follows symbolic links and refuses a link back to its own folder', () => {
    const dir = appDir({ 'app.yaml': yaml('runtime: python312'), 'real/a.txt': 'x' });
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'linked'));
    assert.deepEqual(names(dir), ['app.yaml', 'linked/a.txt', 'real/a.txt']);
    symlinkSync(dir, path.join(dir, 'real', 'loop'));
    assert.match(uploadSet(loadAppYaml(dir)).error!, /symbolic link linked\/loop refers to a folder that contains it/);
  });
});

describe('checkDeployLimits', () => {
  it('takes App Engine\'s limits by default', () => {
    assert.deepEqual(DEPLOY_LIMITS, { files: 10_000, filesPerDirectory: 1_000, fileBytes: 33_554_432 });
  });

  it('reports too many files, too many in one folder, and files over 32 MB, each once', () => {
    const files = [
      ...Array.from({ length: 1001 }, (_, i) => ({ path: `a/${i}.txt`, size: 1 })),
      ...Array.from({ length: 1000 }, (_, i) => ({ path: `b/${i}.txt`, size: 1 })),
      ...Array.from({ length: 8000 }, (_, i) => ({ path: `c/${i % 8}/${i}.txt`, size: 1 })),
      { path: 'big.bin', size: 33_554_433 },
      { path: 'edge.bin', size: 33_554_432 },
    ];
    assert.deepEqual(
      checkDeployLimits(files).map((p) => [p.limit, p.path, p.actual]),
      [
        ['files', '', 10_003],
        ['filesPerDirectory', 'a', 1001],
        ['fileBytes', 'big.bin', 33_554_433],
      ],
    );
    // 1,000 in a folder is allowed: c/0…c/7 and b hold exactly that.
    assert.deepEqual(checkDeployLimits(files.slice(1)).map((p) => p.limit), ['files', 'fileBytes']);
  });

  it('measures real files: a sparse 32 MB + 1 byte file in an app is reported', () => {
    const dir = appDir({ 'app.yaml': yaml('runtime: python312'), 'big.bin': '' });
    truncateSync(path.join(dir, 'big.bin'), DEPLOY_LIMITS.fileBytes + 1);
    writeFileSync(path.join(dir, 'ok.bin'), Buffer.alloc(10));
    const problems = checkDeployLimits(uploadSet(loadAppYaml(dir)).files);
    assert.deepEqual(problems.map((p) => p.message), [`big.bin is ${DEPLOY_LIMITS.fileBytes + 1} bytes; App Engine takes files up to 33554432 bytes (32 MB)`]);
  });
});
