/**
 * Valid configs load to the expected model (spec app-engine.md §1, §1.7, §3.1).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { checkAppYaml, loadAppYaml } from '../../lib/config/load.js';
import { parseExpiration } from '../../lib/config/expiration.js';
import type { AppConfig, HandlerConfig } from '../../lib/config/types.js';
import { appDir, describe, py27, yaml } from '../helpers/app-dir.js';

/** Loads app.yaml text (plus files) from a temp folder, failing with every problem if it is invalid. */
function load(text: string, files: Record<string, string> = {}): AppConfig {
  const result = checkAppYaml(appDir({ ...files, 'app.yaml': text }));
  assert.ok(result.config, describe(result.problems));
  return result.config;
}

/** The routing-relevant part of a handler, with its source file by base name. */
function summary(h: HandlerConfig) {
  const target = h.type === 'script' ? h.script : h.type === 'static_dir' ? h.static_dir : h.static_files;
  return [h.index, h.type, h.url, target, path.basename(h.source.file)];
}

const PY27_APP = py27(
  'api_version: 1',
  'default_expiration: 4d 5h',
  'env_variables:',
  '  MODE: app',
  'builtins:',
  '- deferred: on',
  '- appstats: off',
  '- remote_api: yes',
  'includes:',
  '- inc',
  'libraries:',
  '- name: webapp2',
  '  version: latest',
  '- name: jinja2',
  '  version: "2.6"',
  'error_handlers:',
  '- file: err.html',
  '- error_code: over_quota',
  '  file: err.html',
  '  mime_type: text/html',
  'handlers:',
  '- url: /static',
  '  static_dir: static',
  '  expiration: 1d',
  '  http_headers:',
  '    X-Frame-Options: DENY',
  '    Vary: Accept-Encoding',
  '- url: /(.*\\.(png|jpg))$',
  '  static_files: static/\\1',
  '  upload: static/.*\\.(png|jpg)$',
  '  require_matching_file: true',
  '  secure: always',
  '  redirect_http_response_code: 301',
  '- url: /admin/.*',
  '  script: main.app',
  '  login: admin',
  '  auth_fail_action: unauthorized',
  '- url: /.*',
  '  script: main.app',
  '  secure: default',
  '  login: required',
);
const INCLUDE = yaml(
  'env_variables:',
  '  INC: "1"',
  'skip_files: ^tmp/.*',
  'handlers:',
  '- url: /inc-head',
  '  script: inc.app',
  '- url: /inc-tail',
  '  script: inc.tail',
  '  position: tail',
);
const PY27_FILES = { 'err.html': '<p>oops</p>', 'inc/include.yaml': INCLUDE };

test('a realistic python27 app', () => {
  const c = load(PY27_APP, PY27_FILES);
  assert.equal(c.environment, 'py27');
  assert.equal(c.runtime, 'python27');
  assert.equal(c.service, 'default');
  assert.equal(c.api_version, '1');
  assert.equal(c.threadsafe, true);
  assert.equal(c.default_expiration, 4 * 86400 + 5 * 3600);
  assert.deepEqual(c.libraries, [{ name: 'webapp2', version: '2.5.2' }, { name: 'jinja2', version: '2.6' }]);
  assert.deepEqual(c.builtins, [{ name: 'deferred', enabled: true }, { name: 'appstats', enabled: false }, { name: 'remote_api', enabled: true }]);
  assert.deepEqual(c.includes, ['inc']);
  assert.deepEqual(c.error_handlers, [{ error_code: 'default', file: 'err.html' }, { error_code: 'over_quota', file: 'err.html', mime_type: 'text/html' }]);
  assert.deepEqual(c.env_variables, { MODE: 'app', INC: '1' });
  assert.deepEqual(c.warnings, []);
  // §1.7: builtins and include heads, then app.yaml, then include tails.
  assert.deepEqual(c.handlers.map(summary), [
    [0, 'script', '/_ah/queue/deferred', 'google.appengine.ext.deferred.deferred.application', 'builtin:deferred'],
    [1, 'script', '/_ah/remote_api(/.*)?', 'google.appengine.ext.remote_api.handler.application', 'builtin:remote_api'],
    [2, 'script', '/inc-head', 'inc.app', 'include.yaml'],
    [3, 'static_dir', '/static', 'static', 'app.yaml'],
    [4, 'static_files', '/(.*\\.(png|jpg))$', 'static/\\1', 'app.yaml'],
    [5, 'script', '/admin/.*', 'main.app', 'app.yaml'],
    [6, 'script', '/.*', 'main.app', 'app.yaml'],
    [7, 'script', '/inc-tail', 'inc.tail', 'include.yaml'],
  ]);
  const [deferred, , , dir, files, admin, all] = c.handlers;
  assert.equal(deferred!.login, 'admin');
  assert.deepEqual(
    { expiration: dir!.type === 'static_dir' && dir!.expiration, headers: dir!.type === 'static_dir' && dir!.http_headers, source: dir!.source },
    { expiration: 86400, headers: [['X-Frame-Options', 'DENY'], ['Vary', 'Accept-Encoding']], source: { file: c.file, line: 24, column: 3, path: 'handlers[0]' } },
  );
  assert.ok(files && files.type === 'static_files');
  assert.deepEqual(
    [files.secure, files.redirect_http_response_code, files.require_matching_file, files.expiration, files.upload, files.uploadPattern.test('static/a/b.png'), files.uploadPattern.test('main.py')],
    ['always', 301, true, undefined, 'static/.*\\.(png|jpg)$', true, false],
  );
  assert.deepEqual([admin!.login, admin!.auth_fail_action, admin!.secure, admin!.redirect_http_response_code], ['admin', 'unauthorized', 'optional', 302]);
  assert.deepEqual([all!.secure, all!.login], ['optional', 'required']); // secure: default means optional
  // skip_files: the default (app.yaml sets none) ORed with the include's.
  assert.deepEqual(c.skip_files.sources, [String.raw`^(.*/)?((#.*#)|(.*~)|(.*\.py[co])|(.*/RCS/.*)|(\..*)|)$`, '^tmp/.*']);
  assert.deepEqual(['tmp/x.txt', '.git/config', 'main.py', 'static/a.png'].map((f) => c.skip_files.pattern.test(f)), [true, true, false, false]);
});

test('includes: env_variables set in both app.yaml and an include take the include value (SDK merges the include over app.yaml)', {
}, () => {
  const c = load(py27('env_variables:', '  SHARED: app', '  MODE: app', 'includes:', '- inc.yaml'), { 'inc.yaml': yaml('env_variables:', '  SHARED: include') });
  assert.deepEqual(c.env_variables, { SHARED: 'include', MODE: 'app' });
});

test('includes: env_variables of two includes, the later include wins', () => {
  const c = load(py27('includes:', '- a.yaml', '- b.yaml'), { 'a.yaml': yaml('env_variables:', '  X: a', '  A: "1"'), 'b.yaml': yaml('env_variables:', '  X: b') });
  assert.deepEqual(c.env_variables, { X: 'b', A: '1' });
});

test('includes: heads and tails keep include order', () => {
  const c = load(py27('includes:', '- a.yaml', '- b.yaml', 'handlers:', '- url: /own', '  script: main.app'), {
    'a.yaml': yaml('handlers:', '- url: /a-tail', '  script: a.t', '  position: tail', '- url: /a-head', '  script: a.h', '  position: head'),
    'b.yaml': yaml('handlers:', '- url: /b-tail', '  script: b.t', '  position: tail', '- url: /b-head', '  script: b.h'),
  });
  assert.deepEqual(c.handlers.map((h) => h.url), ['/a-head', '/b-head', '/own', '/a-tail', '/b-tail']);
  assert.deepEqual(c.includes, ['a.yaml', 'b.yaml']);
});

test('includes: an include file\'s own handlers come before those of the files it includes', {
}, () => {
  const c = load(py27('includes:', '- a.yaml', '- b.yaml'), {
    'a.yaml': yaml('includes:', '- c.yaml', 'handlers:', '- url: /a', '  script: a.h'),
    'b.yaml': yaml('handlers:', '- url: /b', '  script: b.h'),
    'c.yaml': yaml('handlers:', '- url: /c', '  script: c.h'),
  });
  assert.deepEqual(c.handlers.map((h) => h.url), ['/a', '/c', '/b']);
});

test('skip_files: a custom list replaces the default', () => {
  const c = load(py27('skip_files:', '- ^(.*/)?.*\\.bak$', '- ^node_modules/.*'));
  assert.deepEqual(c.skip_files.sources, ['^(.*/)?.*\\.bak$', '^node_modules/.*']);
  assert.deepEqual(['x/y.bak', 'node_modules/a.js', '.git/config', 'main.pyc'].map((f) => c.skip_files.pattern.test(f)), [true, true, false, false]);
});

test('skip_files: the default skips editor backups, compiled Python, RCS and dotfiles', () => {
  const { pattern } = load(py27()).skip_files;
  const skipped = ['#a#', 'x~', 'a.pyc', 'lib/b.pyo', 'src/RCS/x', '.env', 'a/.git/HEAD'];
  const kept = ['main.py', 'static/app.js', 'a#', 'RCS'];
  assert.deepEqual(skipped.filter((f) => !pattern.test(f)), []);
  assert.deepEqual(kept.filter((f) => pattern.test(f)), []);
});

test('builtins: django_wsgi adds its catch-all at the tail; off switches a builtin off', () => {
  const c = load(py27('builtins:', '- django_wsgi: on', '- datastore_admin: true', '- deferred: off', 'handlers:', '- url: /own', '  script: main.app'));
  assert.deepEqual(c.handlers.map((h) => [h.url, h.login]), [
    ['/_ah/datastore_admin.*', 'admin'],
    ['/_ah/mapreduce.*', 'admin'],
    ['/own', 'optional'],
    ['/.*', 'optional'],
  ]);
});

test('builtins: an app.yaml builtin tail comes before include tails (builtins are resolved first)', {
}, () => {
  const c = load(py27('builtins:', '- django_wsgi: on', 'includes:', '- inc.yaml', 'handlers:', '- url: /own', '  script: main.app'), {
    'inc.yaml': yaml('handlers:', '- url: /inc-tail', '  script: inc.t', '  position: tail'),
  });
  assert.deepEqual(c.handlers.map((h) => h.url), ['/own', '/.*', '/inc-tail']);
});

test('builtins: off in app.yaml wins over on in an include', {
}, () => {
  const c = load(py27('builtins:', '- appstats: off', 'includes:', '- inc.yaml'), { 'inc.yaml': yaml('builtins:', '- appstats: on') });
  assert.deepEqual(c.handlers.map((h) => h.url), []);
});

test('a python312 app: script auto, entrypoint, automatic_scaling parsed', () => {
  const c = load(
    yaml(
      'runtime: python312',
      'entrypoint: gunicorn -b :$PORT main:app',
      'instance_class: F2',
      'automatic_scaling:',
      '  target_cpu_utilization: 0.65',
      '  min_instances: 1',
      '  max_instances: 10',
      '  min_idle_instances: automatic',
      '  max_idle_instances: 2',
      '  min_pending_latency: 1.5s',
      '  max_pending_latency: 30ms',
      '  max_concurrent_requests: 50',
      'inbound_services:',
      '- warmup',
      'handlers:',
      '- url: /static',
      '  static_dir: static',
      '- url: /.*',
      '  secure: always',
      '  script: auto',
    ),
  );
  assert.deepEqual([c.environment, c.runtime, c.entrypoint, c.instance_class, c.threadsafe], ['standard', 'python312', 'gunicorn -b :$PORT main:app', 'F2', undefined]);
  assert.deepEqual(c.automatic_scaling, {
    min_idle_instances: 'automatic',
    max_idle_instances: 2,
    min_pending_latency: 1.5,
    max_pending_latency: 0.03,
    max_concurrent_requests: 50,
    min_instances: 1,
    max_instances: 10,
    target_cpu_utilization: 0.65,
    target_throughput_utilization: undefined,
    min_num_instances: undefined,
    max_num_instances: undefined,
    cool_down_period_sec: undefined,
    cpu_utilization: undefined,
    target_concurrent_requests: undefined,
    targets: {},
  });
  assert.deepEqual(c.inbound_services, ['warmup']);
  assert.deepEqual(c.handlers.map(summary), [
    [0, 'static_dir', '/static', 'static', 'app.yaml'],
    [1, 'script', '/.*', 'auto', 'app.yaml'],
  ]);
  assert.deepEqual(c.warnings, []);
});

test('basic and manual scaling', () => {
  assert.deepEqual(load(py27('basic_scaling:', '  max_instances: 3', '  idle_timeout: 10m')).basic_scaling, { max_instances: 3, idle_timeout: 600 });
  assert.deepEqual(load(py27('basic_scaling:', '  max_instances: 3')).basic_scaling, { max_instances: 3, idle_timeout: 300 });
  assert.deepEqual(load(py27('manual_scaling:', '  instances: 5')).manual_scaling, { instances: 5 });
});

test('a flex app: entrypoint, health checks, manual scaling, network', () => {
  const c = load(
    yaml(
      'runtime: python',
      'env: flex',
      'entrypoint: gunicorn -b :$PORT main:app',
      'runtime_config:',
      '  operating_system: ubuntu22',
      '  runtime_version: "3.12"',
      'manual_scaling:',
      '  instances: 2',
      'liveness_check:',
      '  path: /liveness',
      '  check_interval_sec: 30',
      '  timeout_sec: 4',
      '  failure_threshold: 2',
      '  success_threshold: 2',
      '  initial_delay_sec: 300',
      'readiness_check:',
      '  path: /readiness',
      '  app_start_timeout_sec: 300',
      'network:',
      '  name: default',
      '  forwarded_ports:',
      '  - 8081',
      '  - 8082:8083/tcp',
      '  instance_tag: web',
      '  session_affinity: true',
    ),
  );
  assert.deepEqual([c.environment, c.runtime, c.entrypoint, c.handlers], ['flex', 'python', 'gunicorn -b :$PORT main:app', []]);
  assert.deepEqual(c.runtime_config, { operating_system: 'ubuntu22', runtime_version: '3.12' });
  assert.deepEqual(c.manual_scaling, { instances: 2 });
  assert.deepEqual(c.liveness_check, { path: '/liveness', host: undefined, check_interval_sec: 30, timeout_sec: 4, failure_threshold: 2, success_threshold: 2, initial_delay_sec: 300 });
  assert.deepEqual(c.readiness_check, {
    path: '/readiness', host: undefined, check_interval_sec: undefined, timeout_sec: undefined, failure_threshold: undefined, success_threshold: undefined, app_start_timeout_sec: 300,
  });
  assert.deepEqual(c.network, { forwarded_ports: ['8081', '8082:8083/tcp'], instance_tag: 'web', name: 'default', subnetwork_name: undefined, session_affinity: true });
  assert.deepEqual(c.warnings, []);
});

test('env: 2 and env: flexible also mean flex', () => {
  for (const env of ['2', 'flexible']) assert.equal(load(yaml('runtime: python', `env: ${env}`, 'entrypoint: gunicorn main:app')).environment, 'flex');
});

const EXPIRATIONS: Array<[yaml: string, seconds: number]> = [
  ['1d 2h 3m 4s', 93784],
  ['10', 10],
  ['5m 30', 330],
  ['7d 7d 7d', 1814400],
  ['"0"', 0],
  ['1D', 86400],
  ["'  4d 5h  '", 363600],
  ['30s', 30],
  ['0', 0], // a YAML integer
  ['2M 1H', 3720], // m is minutes, in any case
];

for (const [text, seconds] of EXPIRATIONS) {
  test(`expiration ${text} = ${seconds} s`, () => {
    const c = load(py27(`default_expiration: ${text}`, 'handlers:', '- url: /s', '  static_dir: static', `  expiration: ${text}`));
    assert.equal(c.default_expiration, seconds);
    assert.equal(c.handlers[0]!.type === 'static_dir' && c.handlers[0]!.expiration, seconds);
  });
}

test('parseExpiration takes strings and whole numbers', () => {
  assert.deepEqual(['1d 2h 3m 4s', '10', '5m 30', '7d 7d 7d', '0', '1D', '  4d 5h  ', '30s'].map(parseExpiration), [93784, 10, 330, 1814400, 0, 86400, 363600, 30]);
  assert.equal(parseExpiration(0), 0);
  assert.equal(parseExpiration(600), 600);
  assert.throws(() => parseExpiration(1.5), /not a valid expiration/);
  assert.throws(() => parseExpiration('1d2h'), /not a valid expiration/);
});

test('YAML 1.1 booleans: yes/no/on/off', () => {
  const c = load(yaml('runtime: python27', 'threadsafe: yes', 'handlers:', '- url: /a', '  static_files: a.html', '  upload: a.html', '  require_matching_file: on', '  application_readable: no'));
  assert.equal(c.threadsafe, true);
  const h = c.handlers[0]!;
  assert.ok(h.type === 'static_files');
  assert.deepEqual([h.require_matching_file, h.application_readable], [true, false]);
  assert.equal(load(yaml('runtime: python27', 'threadsafe: off')).threadsafe, false);
});

test('secure: default is optional; redirect code is kept as a number', () => {
  const c = load(py27('handlers:', '- url: /a', '  script: main.app', '  secure: default', '- url: /b', '  script: main.app', '  secure: never', '  redirect_http_response_code: "307"'));
  assert.deepEqual(c.handlers.map((h) => [h.secure, h.redirect_http_response_code]), [['optional', 302], ['never', 307]]);
});

test('threadsafe: false allows CGI scripts', () => {
  const c = load(yaml('runtime: python27', 'threadsafe: false', 'handlers:', '- url: /cgi', '  script: cgi-bin/run.py'));
  assert.deepEqual(c.handlers.map(summary), [[0, 'script', '/cgi', 'cgi-bin/run.py', 'app.yaml']]);
});

test('ignored elements load with warnings', () => {
  const result = checkAppYaml(appDir({ 'app.yaml': py27('admin_console:', '  pages:', '  - name: x', '    url: /x', 'derived_file_type:', '- python_precompiled', 'module: web') }));
  assert.ok(result.config, describe(result.problems));
  assert.deepEqual(result.config.service, 'web');
  assert.deepEqual(result.warnings.map((w) => [w.line, w.column, w.path, w.message]), [
    [3, 1, 'admin_console', 'ignored: the admin console is not emulated'],
    [7, 1, 'derived_file_type', 'ignored: precompilation happens at deploy time'],
    [9, 1, 'module', 'module is deprecated; use service'],
  ]);
  assert.deepEqual(result.config.warnings, result.warnings);
});

test('deprecated library versions load with a warning', () => {
  const result = checkAppYaml(appDir({ 'app.yaml': py27('libraries:', '- name: django', '  version: "1.2"', '- name: django2', '  version: latest') }));
  assert.equal(result.config, undefined, 'django2 is not a library');
  const ok = checkAppYaml(appDir({ 'app.yaml': py27('libraries:', '- name: django', '  version: "1.2"', '- name: lxml', '  version: latest') }));
  assert.deepEqual(ok.config?.libraries, [{ name: 'django', version: '1.2' }, { name: 'lxml', version: '3.7.3' }]);
  assert.deepEqual(ok.warnings.map((w) => [w.line, w.path, w.message]), [[5, 'libraries[0].version', 'django version "1.2" is deprecated, use one of: "1.4", "1.11" or "latest"']]);
});

test('an object config loads the same model as its YAML', () => {
  const root = appDir();
  const fromObject = loadAppYaml({ root, config: { runtime: 'python27', threadsafe: true, handlers: [{ url: '/(.*)', static_files: 'static/\\1', upload: 'static/.*' }] } });
  assert.deepEqual([fromObject.file, fromObject.root, fromObject.handlers.map(summary)], ['<config>', root, [[0, 'static_files', '/(.*)', 'static/\\1', '<config>']]]);
  assert.deepEqual(fromObject.handlers[0]!.source, { file: '<config>', line: undefined, column: undefined, path: 'handlers[0]' });
});
