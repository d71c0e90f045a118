/**
 * Invalid app.yaml files, top-level elements and hostile YAML (spec app-engine.md §1.1, §1.5–§1.7;
 * security.md §1.6, §2.5). Handler rules are in invalid-handlers.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAppYaml, loadAppYaml } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/config/errors.js';
import { appDir, checkYaml, describe, py27, yaml } from '../helpers/app-dir.js';
import { row, runRows } from '../helpers/invalid-rows.js';

const script = (url = '/.*') => [`- url: ${url}`, '  script: main.app'];
const flex = (...lines: string[]) => yaml('runtime: python', 'env: flex', 'entrypoint: gunicorn -b :$PORT main:app', ...lines);
const ERR = { 'err.html': '<p>error</p>' };

runRows([
  // runtime, env, service, version (§1.1)
  row('runtime with capitals', yaml('runtime: Python27', 'threadsafe: true'), 'runtime', [1, 10], /^"Python27" is not valid: must be a runtime name/),
  row('runtime longer than 30 characters', yaml(`runtime: p${'y'.repeat(30)}`), 'runtime', [1, 10], /is not valid: must be a runtime name/),
  row('runtime missing', yaml('service: web'), '', [1, 1], /^runtime is required/),
  row('env not one of 1|2|standard|flex|flexible', py27('env: flexx'), 'env', [3, 6], /^"flexx" is not allowed; use one of 1, 2, standard, flex, flexible \(did you mean "flex"\?\)/),
  row('service and module both set', py27('service: a', 'module: b'), 'module', [4, 1], /^service and module cannot both be set/),
  row('service with capitals', py27('service: Default'), 'service', [3, 10], /^"Default" is not valid: must be a lower-case name/),
  row('service starting with -', py27('service: -web'), 'service', [3, 10], /^"-web" is not valid/),
  row('service of 64 characters', py27(`service: ${'s'.repeat(64)}`), 'service', [3, 10], /is not valid: must be a lower-case name .*at most 63/),
  row('version containing -dot-', py27('version: my-dot-v1'), 'version', [3, 10], /^a version cannot contain "-dot-"$/),
  row('version starting with ah-builtin', py27('version: ah-builtin-x'), 'version', [3, 10], /^versions starting with "ah-builtin" are reserved$/),
  row('version with capitals', py27('version: V1'), 'version', [3, 10], /^"V1" is not valid/),
  row('api_version with a space', py27('api_version: "1 2"'), 'api_version', [3, 14], /^"1 2" is not valid/),

  // threadsafe (§1.1)
  row('threadsafe missing on python27', yaml('runtime: python27', 'api_version: 1'), '', [1, 1], /^threadsafe must be present and set to true or false for python27$/),
  row('threadsafe not a boolean', yaml('runtime: python27', 'threadsafe: maybe'), 'threadsafe', [2, 13], /^must be true or false$/),
  row('threadsafe with a CGI .py script', py27('handlers:', '- url: /.*', '  script: main.py'), 'handlers[0].script', [5, 11], /^threadsafe cannot be enabled with CGI handler: main\.py /, {
  }),
  row('threadsafe with a CGI script path containing /', py27('handlers:', '- url: /.*', '  script: cgi-bin/run'), 'handlers[0].script', [5, 11], /CGI handler: cgi-bin\/run /, {
  }),

  // libraries (§1.1, §1.5)
  row('libraries on python312', yaml('runtime: python312', 'libraries:', '- name: flask', '  version: latest'), 'libraries', [2, 1], /^libraries is only supported by the python27 runtime$/),
  row('library listed twice', py27('libraries:', '- name: flask', '  version: latest', '- name: flask', '  version: "0.12"'), 'libraries[1].name', [6, 9], /^library flask is listed twice$/),
  row('unknown library', py27('libraries:', '- name: nosuch', '  version: latest'), 'libraries[0].name', [4, 9], /^the library "nosuch" is not supported$/),
  row('unsupported library version', py27('libraries:', '- name: django', '  version: "9.9"'), 'libraries[0].version', [5, 12], /^django version "9\.9" is not supported, use one of: "1\.4", "1\.11" or "latest"$/),
  row('library without a version', py27('libraries:', '- name: django'), 'libraries[0]', [4, 3], /^a library needs a version$/),

  // inbound_services, instance_class, scaling (§1.1, §1.5, §1.6)
  row('unknown inbound service', py27('inbound_services:', '- mail', '- email'), 'inbound_services[1]', [5, 3], /^"email" is not allowed; use one of mail, mail_bounce, rest, warmup/),
  row('retired inbound service xmpp_message', py27('inbound_services:', '- xmpp_message'), 'inbound_services[0]', [4, 3], /^xmpp_message was retired by App Engine$/),
  row('retired inbound service channel_presence', py27('inbound_services:', '- channel_presence'), 'inbound_services[0]', [4, 3], /^channel_presence was retired/),
  row('unknown instance_class', py27('instance_class: F3'), 'instance_class', [3, 17], /^unknown instance class "F3"; use one of F1, F2, F4, F4_1G, B1, B2, B4, B4_1G, B8$/),
  row('two scaling blocks', py27('automatic_scaling:', '  max_instances: 3', 'basic_scaling:', '  max_instances: 3'), 'basic_scaling', [5, 1], /^only one of automatic_scaling, basic_scaling or manual_scaling may be set$/),
  row('manual_scaling.instances 0', py27('manual_scaling:', '  instances: 0'), 'manual_scaling.instances', [4, 14], /^"0" is not valid: must be a whole number from 1$/),
  row('manual_scaling without instances', py27('manual_scaling:', '  {}'), 'manual_scaling', [4, 3], /^manual_scaling needs instances$/),
  row('basic_scaling.max_instances 0', py27('basic_scaling:', '  max_instances: 0'), 'basic_scaling.max_instances', [4, 18], /^"0" is not valid/),
  row('basic_scaling.idle_timeout 10h', py27('basic_scaling:', '  max_instances: 2', '  idle_timeout: 10h'), 'basic_scaling.idle_timeout', [5, 17], /^"10h" is not valid: must be a duration in seconds or minutes/),
  row('max_concurrent_requests 0', py27('automatic_scaling:', '  max_concurrent_requests: 0'), 'automatic_scaling.max_concurrent_requests', [4, 28], /^"0" is not valid: must be a whole number from 1$/),
  row('max_concurrent_requests 1001', py27('automatic_scaling:', '  max_concurrent_requests: 1001'), 'automatic_scaling.max_concurrent_requests', [4, 28], /^must be at most 1000$/),
  row('max_pending_latency 1.2345s', py27('automatic_scaling:', '  max_pending_latency: 1.2345s'), 'automatic_scaling.max_pending_latency', [4, 24], /^"1\.2345s" is not valid: must be a latency like "30ms", "1\.5s" or "automatic"$/),
  row('min_pending_latency without a unit', py27('automatic_scaling:', '  min_pending_latency: 30'), 'automatic_scaling.min_pending_latency', [4, 24], /^"30" is not valid/),
  row('min_idle_instances -1', py27('automatic_scaling:', '  min_idle_instances: -1'), 'automatic_scaling.min_idle_instances', [4, 23], /^"-1" is not valid: must be a whole number or "automatic"$/),
  row('min_instances larger than max_instances', py27('automatic_scaling:', '  min_instances: 5', '  max_instances: 2'), 'automatic_scaling.min_instances', [4, 18], /^min_instances is larger than max_instances$/),
  row('target_cpu_utilization above 0.95', py27('automatic_scaling:', '  target_cpu_utilization: 0.99'), 'automatic_scaling.target_cpu_utilization', [4, 27], /^must be a number from 0\.5 to 0\.95, not 0\.99$/),
  row('unknown automatic_scaling key', py27('automatic_scaling:', '  max_instance: 3'), 'automatic_scaling.max_instance', [4, 3], /^unknown key "max_instance" in automatic_scaling; did you mean "max_instances"\?$/),

  // flex (§1.5, §1.8)
  row('flex without entrypoint', yaml('runtime: python', 'env: flex'), '', [1, 1], /^the flexible environment needs an entrypoint/),
  row('flex min_num_instances 0', flex('automatic_scaling:', '  min_num_instances: 0'), 'automatic_scaling.min_num_instances', [5, 22], /^must be a whole number from 1 to \d+, not 0$/),
  row('flex cool_down_period_sec below 60', flex('automatic_scaling:', '  cool_down_period_sec: 30'), 'automatic_scaling.cool_down_period_sec', [5, 25], /^must be a whole number from 60 to \d+, not 30$/),
  row('flex target_utilization above 1', flex('automatic_scaling:', '  cpu_utilization:', '    target_utilization: 1.5'), 'automatic_scaling.cpu_utilization.target_utilization', [6, 25], /not 1\.5$/),
  row('flex forwarded port not a port', flex('network:', '  forwarded_ports:', '  - http'), 'network.forwarded_ports[0]', [6, 5], /^"http" is not valid: must be a port/),
  row('flex instance_tag with capitals', flex('network:', '  instance_tag: Web'), 'network.instance_tag', [5, 17], /^"Web" is not valid/),

  // env_variables (§1.5)
  row('env_variables name starting with a digit', py27('env_variables:', '  1BAD: x'), 'env_variables.1BAD', [4, 3], /^"1BAD" is not a valid name in env_variables$/),
  row('env_variables name with -', py27('env_variables:', '  BAD-NAME: x'), 'env_variables.BAD-NAME', [4, 3], /^"BAD-NAME" is not a valid name in env_variables$/),
  row('env_variables value a list', py27('env_variables:', '  A: [x]'), 'env_variables.A', [4, 6], /^must be a string$/),

  // error_handlers (§1.1)
  row('error_handlers unknown error_code', py27('error_handlers:', '- error_code: not_found', '  file: err.html'), 'error_handlers[0].error_code', [4, 15], /^"not_found" is not allowed; use one of default, over_quota, dos_api_denial, timeout$/, { files: ERR }),
  row('error_handlers file missing', py27('error_handlers:', '- file: missing.html'), 'error_handlers[0].file', [4, 9], /^error handler file "missing\.html" not found$/),
  row('error_handlers without file', py27('error_handlers:', '- error_code: over_quota'), 'error_handlers[0]', [4, 3], /^an error handler needs a file$/),
  row('error_handlers code twice (omitted means default)', py27('error_handlers:', '- file: err.html', '- error_code: default', '  file: err.html'), 'error_handlers[1].error_code', [5, 15], /^more than one error handler for default$/, { files: ERR }),
  row('error_handlers file over 10 KB', py27('error_handlers:', '- file: big.html'), 'error_handlers[0].file', [4, 9], /^error handler file "big\.html" is larger than 10 KB$/, { files: { 'big.html': 'x'.repeat(10 * 1024 + 1) } }),
  row('error_handlers file outside the app', py27('error_handlers:', '- file: ../err.html'), 'error_handlers[0].file', [4, 9], /^error handler file "\.\.\/err\.html" is outside the app folder$/),

  // skip_files (§1.1)
  row('skip_files list with a bad regex', py27('skip_files:', '- ^(.*/)?\\.git$', '- ^foo('), 'skip_files[1]', [5, 3], /^invalid skip_files pattern: unbalanced "\("$/),
  row('skip_files glob instead of regex', py27('skip_files: "*.pyc"'), 'skip_files', [3, 13], /^invalid skip_files pattern: .*Nothing to repeat/),
  row('skip_files on python312 (use .gcloudignore)', yaml('runtime: python312', 'skip_files:', '- ^foo$'), 'skip_files', [2, 1], /python27|gcloudignore/, {
  }),

  // builtins and includes (§1.7)
  row('unknown builtin', py27('builtins:', '- deferred: on', '- nosuch: on'), 'builtins[1].nosuch', [5, 3], /^unknown key "nosuch" in builtins/, {
  }),
  row('builtin not on/off', py27('builtins:', '- deferred: maybe'), 'builtins[0].deferred', [4, 13], /^must be on or off, not "maybe"$/),
  row('builtin listed twice', py27('builtins:', '- deferred: on', '- deferred: off'), 'builtins[1].deferred', [5, 3], /^builtin deferred is listed twice$/),
  row('two builtins in one entry', py27('builtins:', '- deferred: on', '  appstats: on'), 'builtins[0]', [4, 3], /^each builtins entry names one builtin; start each with "-"$/),
  row('builtins on python312', yaml('runtime: python312', 'builtins:', '- deferred: on'), 'builtins', [2, 1], /^builtins is only supported by the python27 runtime$/),
  row('include file missing', py27('includes:', '- nothere.yaml'), 'includes[0]', [4, 3], /^include "nothere\.yaml" not found/),
  row('include outside the app', py27('includes:', '- ../outside.yaml'), 'includes[0]', [4, 3], /^include "\.\.\/outside\.yaml" is outside the app folder$/),
  row('include that includes itself', py27('includes:', '- selfinc.yaml'), 'includes[0]', [2, 3], /^include "selfinc\.yaml" includes itself$/, {
    files: { 'selfinc.yaml': yaml('includes:', '- selfinc.yaml') },
    file: 'selfinc.yaml',
  }),
  row('include with an app.yaml-only key', py27('includes:', '- inc.yaml'), 'runtime', [1, 1], /^unknown key "runtime" in an included file$/, {
    files: { 'inc.yaml': yaml('runtime: python27', ...['handlers:', ...script('/inc')]) },
    file: 'inc.yaml',
  }),
  row('bad handler inside an include', py27('includes:', '- inc.yaml'), 'handlers[0].url', [2, 8], /^"inc" is not a valid url/, {
    files: { 'inc.yaml': yaml('handlers:', ...script('inc')) },
    file: 'inc.yaml',
  }),
  row('position in app.yaml', py27('handlers:', ...script(), '  position: head'), 'handlers[0].position', [6, 3], /^"position" is only allowed in handlers of an included file$/),

  // shape and YAML
  row('app.yaml is a list', yaml('- runtime: python27'), '', [1, 1], /^app\.yaml must be a mapping$/),
  row('handlers is not a list', py27('handlers: /x'), 'handlers', [3, 11], /^handlers must be a list$/),
  row('unknown top-level key with a suggestion', py27('handler:', ...script()), 'handler', [3, 1], /^unknown key "handler" in app\.yaml; did you mean "handlers"\?$/),
  row('YAML syntax error', py27('handlers:', '- url: "/a'), '', [5, 1], /Missing closing "quote/),
  row('security 107: duplicate top-level key', py27('threadsafe: false'), 'threadsafe', [3, 1], /^duplicate key "threadsafe"/),
  row('security 107: duplicate url in one handler', py27('handlers:', '- url: /a', '  url: /b', '  script: main.app'), 'handlers[0].url', [5, 3], /^duplicate key "url"/, {
  }),
  row('security 109: 5,000 levels of [', py27(`handlers: ${'['.repeat(5000)}${']'.repeat(5000)}`), '', [3, 75], /^nesting deeper than 64 levels$/),
  row('security 110: 101 handlers', py27('handlers:', ...Array.from({ length: 101 }, (_, i) => script(`/h${i}`)).flat()), 'handlers', [4, 1], /^there are 101 handlers after includes are merged; App Engine allows at most 100$/),
  row('more than 100 YAML aliases', py27('skip_files:', '- &a ^a$', ...Array.from({ length: 101 }, () => '- *a')), 'skip_files[101]', [105, 3], /^too many YAML aliases \(at most 100\)$/, {
  }),
]);

test('security 109: deep nesting is rejected without a stack overflow, quickly', () => {
  const start = performance.now();
  const result = checkYaml(py27(`env_variables: {a: ${'['.repeat(5000)}${']'.repeat(5000)}}`));
  assert.ok(performance.now() - start < 1000);
  assert.deepEqual(result.problems.map((p) => [p.line, p.column, p.message]), [[3, 83, 'nesting deeper than 64 levels']]);
});

test('alias bomb ("billion laughs") is rejected, fast', () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h']]) {
    levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
  }
  const start = performance.now();
  const result = checkYaml(py27('env_variables:', ...levels.map((l) => `  ${l}`), 'skip_files: *h'));
  assert.ok(performance.now() - start < 1000, 'an alias bomb must not be expanded');
  assert.equal(result.config, undefined);
  assert.deepEqual(result.problems[0], { file: result.problems[0]!.file, line: 4, column: 9, path: 'env_variables.a', message: 'must be a string' });
  assert.ok(result.problems.length <= 20, describe(result.problems));
});

test('a file over 1 MiB is rejected before parsing, without a position', () => {
  const result = checkYaml(py27(`# ${'x'.repeat(1024 * 1024)}`));
  assert.deepEqual(
    result.problems.map(({ line, column, path, message }) => ({ line, column, path, message })),
    [{ line: undefined, column: undefined, path: '', message: 'file is larger than 1048576 bytes' }],
  );
});

test('a missing app.yaml is one problem naming the file', () => {
  const dir = appDir();
  const result = checkAppYaml(dir);
  assert.equal(result.config, undefined);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]!.message, /^cannot read the config: ENOENT$/);
  assert.equal(result.problems[0]!.file, `${dir}/app.yaml`);
});

const SEVERAL = py27(
  'default_expiration: 1w', //                           3
  'handlers:', //                                        4
  '- url: foo', //                                       5
  '  script: main.app',
  '- url: /s', //                                        7
  '  static_dir: /etc', //                               8
  '  secure: yes', //                                    9
  '- url: /x', //                                        10
  '  static_files: a.html', //                           11
  'libraries:',
  '- name: nosuch', //                                   13
  '  version: latest',
);

test('a config with several mistakes reports all of them, in file order', () => {
  const result = checkYaml(SEVERAL);
  assert.equal(result.config, undefined);
  assert.deepEqual(
    result.problems.map((p) => [p.line, p.column, p.path]),
    [
      [3, 21, 'default_expiration'],
      [5, 8, 'handlers[0].url'],
      [8, 15, 'handlers[1].static_dir'],
      [9, 11, 'handlers[1].secure'],
      [11, 3, 'handlers[2]'],
      [13, 9, 'libraries[0].name'],
    ],
  );
});

test('loadAppYaml throws ConfigError listing every problem as file:line:col', () => {
  const dir = appDir({ 'app.yaml': SEVERAL });
  const file = `${dir}/app.yaml`;
  let error: unknown;
  try {
    loadAppYaml(dir);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.equal(error.name, 'ConfigError');
  assert.equal(error.problems.length, 6);
  const lines = error.message.split('\n');
  assert.equal(lines[0], '6 problems in app configuration:');
  assert.equal(lines[1], `  ${file}:3:21: default_expiration: "1w" is not a valid expiration: each part is a whole number with an optional unit d, h, m or s, separated by spaces (e.g. "1d 2h")`);
  assert.equal(lines[2], `  ${file}:5:8: handlers[0].url: "foo" is not a valid url: it must start with "/" (or be a group that does not end in "$")`);
  assert.equal(lines[3], `  ${file}:8:15: handlers[1].static_dir: static_dir must be relative to the app folder, not absolute`);
  assert.ok(lines[4]!.startsWith(`  ${file}:9:11: handlers[1].secure: "yes" is not allowed`));
  assert.ok(lines[5]!.startsWith(`  ${file}:11:3: handlers[2]: a static_files handler needs "upload"`));
  assert.equal(lines[6], `  ${file}:13:9: libraries[0].name: the library "nosuch" is not supported`);
  assert.equal(lines.length, 7);
});

test('an object config reports paths without line numbers', () => {
  const root = appDir();
  const result = checkAppYaml({
    root,
    config: { runtime: 'python27', threadsafe: true, default_expiration: '1w', handlers: [{ url: 'foo', script: 'main.app' }, { url: '/s', static_dir: '/etc' }] },
  });
  assert.equal(result.config, undefined);
  assert.deepEqual(
    result.problems.map((p) => ({ ...p, message: p.message.slice(0, 20) })),
    [
      { file: '<config>', path: 'handlers[0].url', message: '"foo" is not a valid' },
      { file: '<config>', path: 'handlers[1].static_dir', message: 'static_dir must be r' },
      { file: '<config>', path: 'default_expiration', message: '"1w" is not a valid ' },
    ],
  );
  assert.throws(() => loadAppYaml({ root, config: { runtime: 'python27' } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, '1 problem in app configuration:\n  <config>: threadsafe must be present and set to true or false for python27');
    return true;
  });
});

test('YAML text given as config is positioned in root/app.yaml', () => {
  const root = appDir();
  const result = checkAppYaml({ root, config: py27('handlers:', ...script('foo')) });
  assert.deepEqual(result.problems.map((p) => [p.file, p.line, p.column, p.path]), [[`${root}/app.yaml`, 4, 8, 'handlers[0].url']]);
});
