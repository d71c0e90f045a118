import { existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { readHealthCheck, readLivenessCheck, readNetwork, readReadinessCheck, readResources, readVpcAccessConnector } from './flex.js';
import { readExpiration, readHandler, type ReadHandler } from './handlers.js';
import { addBuiltins, emptyContribution, readIncludes } from './includes.js';
import { resolveLibrary, SUPPORTED_LIBRARIES } from './libraries.js';
import type { Field, Reader } from './reader.js';
import { readAutomaticScaling, readBasicScaling, readManualScaling } from './scaling.js';
import type { AppConfig, Environment, ErrorCode, ErrorHandlerConfig, InboundService, LibraryConfig, SkipFiles } from './types.js';
import { compileFileRegex } from './url-pattern.js';
import { MEDIA_TYPE } from '../header-syntax.js';

export const MAX_HANDLERS = 100;
export const MAX_ERROR_FILE_BYTES = 10 * 1024;
/** SDK `DEFAULT_SKIP_FILES`: editor backups, compiled Python, RCS folders and dotfiles. */
export const DEFAULT_SKIP_FILES = String.raw`^(.*/)?((#.*#)|(.*~)|(.*\.py[co])|(.*/RCS/.*)|(\..*)|)$`;
export const INSTANCE_CLASSES = ['F1', 'F2', 'F4', 'F4_1G', 'B1', 'B2', 'B4', 'B4_1G', 'B8'];

const HANDLED_KEYS = [
  'application', 'project', 'service', 'module', 'version', 'runtime', 'api_version', 'env', 'vm', 'entrypoint',
  'runtime_config', 'instance_class', 'automatic_scaling', 'manual_scaling', 'basic_scaling', 'beta_settings',
  'health_check', 'resources', 'liveness_check', 'readiness_check', 'network', 'vpc_access_connector', 'builtins',
  'includes', 'handlers', 'libraries', 'inbound_services', 'default_expiration', 'skip_files', 'error_handlers',
  'threadsafe', 'env_variables', 'app_engine_apis', 'app_engine_bundled_services',
];
/** Elements App Engine accepts that change nothing in a local server; accepted with a warning. */
const IGNORED_KEYS: Record<string, string> = {
  runtime_channel: 'runtime channels are chosen by Google',
  main: 'used by the Go runtime only',
  endpoints_api_service: 'Cloud Endpoints is not emulated',
  source_language: 'informational only',
  vm_settings: 'deprecated; use beta_settings',
  vm_health_check: 'deprecated; use liveness_check and readiness_check',
  zones: 'zones apply to Google data centres',
  nobuild_files: 'used by the Go runtime only',
  derived_file_type: 'precompilation happens at deploy time',
  admin_console: 'the admin console is not emulated',
  backends: 'backends are deprecated; use services',
  auto_id_policy: 'the datastore is not emulated',
  api_config: 'Cloud Endpoints is not emulated',
  code_lock: 'deploy-time setting',
  standard_websocket: 'deploy-time setting',
  build_env_variables: 'used by buildpacks at deploy time',
  service_account: 'credentials are not emulated',
};
const ENV_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RUNTIME = /^((gs:\/\/[a-z0-9\-._/]+)|([a-z][a-z0-9\-.]{0,29}))$/;
const SERVICE = /^(?!-)[a-z\d-]{0,62}[a-z\d]$/;
const APPLICATION = /^(?:[a-z\d-]{1,100}~)?(?:(?!-)[a-z\d\-.]{1,100}:)?(?!-)[a-z\d-]{0,99}[a-z\d]$/;

/** Reads a whole app.yaml mapping into an AppConfig; problems are recorded on the reader. */
export function readAppInfo(r: Reader, rootField: Field, root: string): AppConfig | undefined {
  const f = r.mapping(rootField, [...HANDLED_KEYS, ...Object.keys(IGNORED_KEYS)], 'app.yaml');
  if (!f) return undefined;
  for (const [key, why] of Object.entries(IGNORED_KEYS)) r.ignored(f.get(key), why);

  const envName = r.oneOf(f.get('env'), ['1', '2', 'standard', 'flex', 'flexible'] as const);
  const flex = envName === '2' || envName === 'flex' || envName === 'flexible' || r.bool(f.get('vm')) === true;
  const runtimeField = f.get('runtime');
  const runtime = runtimeField ? r.matching(runtimeField, RUNTIME, 'a runtime name like python27 or python312') : flex ? 'custom' : r.error(rootField, 'runtime is required (e.g. runtime: python312)');
  const environment: Environment = flex ? 'flex' : runtime === 'python27' ? 'py27' : 'standard';
  const gen1 = environment === 'py27';

  const threadsafe = r.bool(f.get('threadsafe'));
  if (gen1 && threadsafe === undefined && !f.get('threadsafe')) r.error(rootField, 'threadsafe must be present and set to true or false for python27');
  if (!gen1 && runtime !== undefined) {
    r.ignored(f.get('threadsafe'), 'threadsafe only applies to python27');
    r.ignored(f.get('api_version'), 'api_version only applies to python27');
    if (environment === 'standard' && f.get('skip_files')) r.error(f.get('skip_files')!, 'skip_files is not supported on second-generation runtimes; list the files in .gcloudignore instead', 'key');
    for (const key of ['builtins', 'includes', 'libraries']) {
      if (f.get(key)) r.error(f.get(key)!, `${key} is only supported by the python27 runtime`, 'key');
    }
  }
  if (environment === 'flex' && runtime === 'custom') r.error(runtimeField ?? rootField, 'custom runtimes (Docker images) are not supported; use runtime: python with an entrypoint');
  if (environment === 'flex' && !f.get('entrypoint')) r.error(rootField, 'the flexible environment needs an entrypoint (e.g. gunicorn -b :$PORT main:app)');

  if (f.get('service') && f.get('module')) r.error(f.get('module')!, 'service and module cannot both be set; module is the old name of service', 'key');
  if (f.get('module')) r.warn(f.get('module')!, 'module is deprecated; use service');
  const service = r.matching(f.get('service') ?? f.get('module'), SERVICE, 'a lower-case name of letters, digits and - (at most 63 characters)') ?? 'default';
  const version = r.matching(f.get('version'), SERVICE, 'a lower-case name of letters, digits and - (at most 63 characters)');
  if (version?.includes('-dot-')) r.error(f.get('version')!, 'a version cannot contain "-dot-"');
  if (version?.startsWith('ah-builtin')) r.error(f.get('version')!, 'versions starting with "ah-builtin" are reserved');
  for (const key of ['application', 'project', 'version']) if (f.get(key)) r.warn(f.get(key)!, `${key} is ignored by gcloud app deploy; set it on the command line`);
  const application = r.matching(f.get('application') ?? f.get('project'), APPLICATION, 'an application id of lower-case letters, digits and -');

  const instanceClass = r.string(f.get('instance_class'));
  if (instanceClass !== undefined && !INSTANCE_CLASSES.includes(instanceClass)) {
    r.error(f.get('instance_class')!, `unknown instance class "${instanceClass}"; use one of ${INSTANCE_CLASSES.join(', ')}`);
  }
  const scalings = ['automatic_scaling', 'basic_scaling', 'manual_scaling'].filter((k) => f.get(k));
  if (scalings.length > 1) r.error(f.get(scalings[1]!)!, 'only one of automatic_scaling, basic_scaling or manual_scaling may be set', 'key');

  const contribution = emptyContribution();
  const ctx = { environment, includeFile: false, threadsafe };
  // SDK order: app.yaml's builtins, then the includes; then heads, app.yaml's handlers, tails.
  addBuiltins(r, f.get('builtins'), contribution);
  const includes = readIncludes(r, f.get('includes'), root, ctx, contribution, new Set());
  const ownHandlers = readHandlerList(r, f.get('handlers'), ctx);
  if (environment === 'flex' && f.get('handlers')) r.warn(f.get('handlers')!, 'handlers are not used in the flexible environment; every request goes to the entrypoint');
  const merged = environment === 'flex' ? [] : [...contribution.heads, ...ownHandlers, ...contribution.tails];
  const handlers = merged.map((h, index) => ({ ...h.handler, index }));
  if (handlers.length > MAX_HANDLERS) r.error(f.get('handlers') ?? rootField, `there are ${handlers.length} handlers after includes are merged; App Engine allows at most ${MAX_HANDLERS}`);
  if (environment === 'standard' && !r.bool(f.get('app_engine_apis')) && !f.get('app_engine_bundled_services')) {
    for (const h of handlers) if (h.login !== 'optional') r.warnings.push({ ...h.source, path: `${h.source.path}.login`, message: 'on second-generation runtimes App Engine honours login only with app_engine_apis: true' });
  }

  const bundledServices = f.get('app_engine_bundled_services');
  if (bundledServices) r.list(bundledServices, 'app_engine_bundled_services');
  const automatic = f.get('automatic_scaling');
  const basic = f.get('basic_scaling');
  const manual = f.get('manual_scaling');
  const config: AppConfig = {
    root,
    file: r.src.name,
    environment,
    runtime: runtime ?? '',
    service,
    version,
    application,
    api_version: r.matching(f.get('api_version'), /^[\w.]{1,32}$/, 'letters, digits, _ and . (at most 32)'),
    threadsafe,
    handlers,
    default_expiration: f.get('default_expiration') ? readExpiration(r, f.get('default_expiration')!) : undefined,
    // As in the SDK, included files' env_variables override app.yaml's.
    env_variables: { ...r.stringMap(f.get('env_variables'), ENV_NAME, 'env_variables'), ...contribution.env_variables },
    entrypoint: r.string(f.get('entrypoint')),
    runtime_config: r.stringMap(f.get('runtime_config'), ENV_NAME, 'runtime_config'),
    instance_class: instanceClass,
    automatic_scaling: automatic && readAutomaticScaling(r, automatic),
    basic_scaling: basic && readBasicScaling(r, basic),
    manual_scaling: (manual && readManualScaling(r, manual)) ?? contribution.manual_scaling,
    inbound_services: readInboundServices(r, f.get('inbound_services')),
    error_handlers: readErrorHandlers(r, f.get('error_handlers'), root),
    skip_files: readSkipFiles(r, gen1 || !f.get('skip_files') ? f.get('skip_files') : undefined, contribution.skip_files),
    libraries: readLibraries(r, f.get('libraries')),
    builtins: contribution.builtins,
    includes,
    liveness_check: readOptional(f, 'liveness_check', (x) => readLivenessCheck(r, x)),
    readiness_check: readOptional(f, 'readiness_check', (x) => readReadinessCheck(r, x)),
    health_check: readOptional(f, 'health_check', (x) => readHealthCheck(r, x)),
    network: readOptional(f, 'network', (x) => readNetwork(r, x)),
    resources: readOptional(f, 'resources', (x) => readResources(r, x)),
    beta_settings: { ...contribution.beta_settings, ...r.stringMap(f.get('beta_settings'), ENV_NAME, 'beta_settings') },
    vpc_access_connector: readOptional(f, 'vpc_access_connector', (x) => readVpcAccessConnector(r, x)),
    app_engine_apis: r.bool(f.get('app_engine_apis')) ?? bundledServices !== undefined,
    warnings: r.warnings,
  };
  for (const key of ['liveness_check', 'readiness_check', 'health_check', 'network', 'resources']) {
    if (environment !== 'flex') r.ignored(f.get(key), `${key} only applies to the flexible environment`);
  }
  for (const key of ['error_handlers', 'default_expiration', 'inbound_services', 'instance_class']) {
    if (environment === 'flex') r.ignored(f.get(key), `${key} does not apply to the flexible environment`);
  }
  if (gen1) for (const key of ['entrypoint', 'app_engine_apis']) r.ignored(f.get(key), `${key} does not apply to python27`);
  return config;
}

function readOptional<T>(f: Map<string, Field>, key: string, read: (field: Field) => T): T | undefined {
  const field = f.get(key);
  return field ? read(field) : undefined;
}

function readHandlerList(r: Reader, field: Field | undefined, ctx: { environment: Environment; includeFile: boolean }): ReadHandler[] {
  if (!field) return [];
  const out: ReadHandler[] = [];
  for (const item of r.list(field, 'handlers') ?? []) {
    const read = readHandler(r, item, ctx);
    if (read) out.push(read);
  }
  return out;
}

const INBOUND: readonly InboundService[] = ['mail', 'mail_bounce', 'rest', 'warmup'];
const RETIRED_INBOUND = ['xmpp_message', 'xmpp_subscribe', 'xmpp_presence', 'xmpp_error', 'channel_presence'];

function readInboundServices(r: Reader, field: Field | undefined): InboundService[] {
  if (!field) return [];
  const out: InboundService[] = [];
  for (const item of r.list(field, 'inbound_services') ?? []) {
    const name = r.string(item);
    if (name !== undefined && RETIRED_INBOUND.includes(name)) r.error(item, `${name} was retired by App Engine`);
    else if (name !== undefined) {
      const s = r.oneOf(item, INBOUND);
      if (s) out.push(s);
    }
  }
  return out;
}

function readErrorHandlers(r: Reader, field: Field | undefined, root: string): ErrorHandlerConfig[] {
  if (!field) return [];
  const out: ErrorHandlerConfig[] = [];
  const seen = new Set<string>();
  for (const item of r.list(field, 'error_handlers') ?? []) {
    const f = r.mapping(item, ['error_code', 'file', 'mime_type'], 'an error handler');
    if (!f) continue;
    const code = r.oneOf<ErrorCode>(f.get('error_code'), ['default', 'over_quota', 'dos_api_denial', 'timeout']) ?? 'default';
    if (seen.has(code)) r.error(f.get('error_code') ?? item, `more than one error handler for ${code}`);
    seen.add(code);
    const file = f.get('file') ? r.string(f.get('file')) : r.error(item, 'an error handler needs a file');
    const mime = r.matching(f.get('mime_type'), MEDIA_TYPE, 'a media type like text/html');
    if (file === undefined) continue;
    const path = resolve(root, file);
    if (!path.startsWith(root + sep)) r.error(f.get('file')!, `error handler file "${file}" is outside the app folder`);
    else if (!existsSync(path) || !statSync(path).isFile()) r.error(f.get('file')!, `error handler file "${file}" not found`);
    else if (statSync(path).size > MAX_ERROR_FILE_BYTES) r.error(f.get('file')!, `error handler file "${file}" is larger than 10 KB`);
    out.push({ error_code: code, file, ...(mime ? { mime_type: mime } : {}) });
  }
  return out;
}

function readSkipFiles(r: Reader, field: Field | undefined, fromIncludes: Field[]): SkipFiles {
  const sources: string[] = [];
  const collect = (f: Field) => {
    const list = (f.node as { items?: unknown } | null)?.items ? (r.list(f, 'skip_files') ?? []) : [f];
    for (const item of list) {
      const source = r.string(item, 'a regular expression');
      if (source === undefined) continue;
      try {
        compileFileRegex(source, 'start');
        sources.push(source);
      } catch (err) {
        r.error(item, `invalid skip_files pattern: ${(err as Error).message}`);
      }
    }
  };
  if (field) collect(field);
  else sources.push(DEFAULT_SKIP_FILES);
  fromIncludes.forEach(collect);
  // SDK RegexStr joins a list with "|" and applies re.match: anchored at the start only.
  return { sources, pattern: compileFileRegex(sources.map((s) => `(?:${s})`).join('|'), 'start') };
}

function readLibraries(r: Reader, field: Field | undefined): LibraryConfig[] {
  if (!field) return [];
  const out: LibraryConfig[] = [];
  for (const item of r.list(field, 'libraries') ?? []) {
    const f = r.mapping(item, ['name', 'version'], 'a library');
    if (!f) continue;
    const name = f.get('name') ? r.string(f.get('name')) : r.error(item, 'a library needs a name');
    const version = f.get('version') ? r.string(f.get('version')) : r.error(item, 'a library needs a version');
    if (name === undefined || version === undefined) continue;
    if (out.some((l) => l.name === name)) {
      r.error(f.get('name')!, `library ${name} is listed twice`);
      continue;
    }
    const resolved = resolveLibrary(name, version);
    if ('error' in resolved) r.error(SUPPORTED_LIBRARIES.has(name) ? f.get('version')! : f.get('name')!, resolved.error);
    else {
      if (resolved.warning) r.warn(f.get('version')!, resolved.warning);
      out.push({ name, version: resolved.version });
    }
  }
  return out;
}
