import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/types.js';
import { userEnvironment } from './user.js';

/** `production` (the default) behaves as App Engine does; `development` as its local dev server. */
export type Mode = 'production' | 'development';

/** Who the app is, for the variables and headers that name it. */
export interface IdentityOptions {
  /**
   * The Google Cloud project id (`GOOGLE_CLOUD_PROJECT`, `GAE_APPLICATION`, log trace names).
   * Default: app.yaml's `application`, else the `GOOGLE_CLOUD_PROJECT` environment variable, else
   * `test`, as the dev server does.
   */
  project?: string;
  /** Default: `production`. */
  mode?: Mode;
}

export interface EnvironmentOptions extends IdentityOptions {
  /** `GAE_SERVICE` / `CURRENT_MODULE_ID`. Default: app.yaml's `service` (`default`). */
  service?: string;
  /**
   * `GAE_VERSION` / the major part of `CURRENT_VERSION_ID`. Default: app.yaml's `version`, else
   * the start time as `YYYYMMDDtHHMMSS`, as the dev server does.
   */
  version?: string;
  /** `GAE_DEPLOYMENT_ID` / the minor part of `CURRENT_VERSION_ID`. Default: a number made at startup. */
  deploymentId?: string;
  /** Told once for each `env_variables` entry that tries to set a runtime variable (it is ignored). */
  warn?: (message: string) => void;
}

/** The project id, resolved as `IdentityOptions.project` says. */
export function resolveProject(config: Pick<AppConfig, 'application'> | undefined, options: IdentityOptions): string {
  return options.project ?? config?.application ?? process.env.GOOGLE_CLOUD_PROJECT ?? 'test';
}

/**
 * `X-AppEngine-Default-Version-Hostname` / `DEFAULT_VERSION_HOSTNAME` when not given: in
 * production mode `<project>.appspot.com`, as App Engine gives; in development mode the address
 * the request came in on (`localhost:<port>`), as the dev server does.
 */
export function defaultVersionHostname(req: IncomingMessage, project: string, mode: Mode): string {
  return mode === 'development' ? `localhost:${req.socket.localPort ?? 80}` : `${project}.appspot.com`;
}

/** Per-instance values of `AppEngineEnvironment.instance`. */
export interface InstanceParams {
  /** `GAE_INSTANCE` / `INSTANCE_ID`. Default: a new random id. */
  instanceId?: string;
  /** `PORT`: where the instance's own server listens (second generation and flex). */
  port?: number;
}

/**
 * The App Engine variables of one app, built once (app-engine.md §5). `env_variables` come
 * first and the runtime's own names override them, so an app cannot change them.
 */
export interface AppEngineEnvironment {
  /** What one instance's process gets: `env_variables` plus the runtime's variables. */
  instance(params?: InstanceParams): Record<string, string>;
  /**
   * What one request adds to a per-request environment (WSGI environ, CGI): `HTTPS`,
   * `REQUEST_LOG_ID`, `REQUEST_ID_HASH`, `DEFAULT_VERSION_HOSTNAME`, `USER_*` and `AUTH_DOMAIN`;
   * empty for a request that did not go through `envelope()`.
   */
  request(req: IncomingMessage): Record<string, string>;
  /** Names `env_variables` cannot set. */
  reserved: ReadonlySet<string>;
}

/** Memory per instance class in MB, second and first generation (app-engine.md §1.6). */
const MEMORY_MB: Record<string, number> = { F1: 384, B1: 384, F2: 768, B2: 768, F4: 1536, B4: 1536, F4_1G: 3072, B4_1G: 3072, B8: 3072 };
const FIRST_GEN_MEMORY_MB: Record<string, number> = { F1: 128, B1: 128, F2: 256, B2: 256, F4: 512, B4: 512, F4_1G: 1024, B4_1G: 1024, B8: 1024 };
/** Flex's default `resources.memory_gb`. */
const FLEX_DEFAULT_MEMORY_GB = 0.6;

function memoryMb(config: AppConfig): number {
  if (config.environment === 'flex') return Math.round((config.resources?.memory_gb ?? FLEX_DEFAULT_MEMORY_GB) * 1024);
  // App Engine's default classes: F1 for automatic scaling, B2 for basic and manual.
  const cls = config.instance_class ?? (config.basic_scaling || config.manual_scaling ? 'B2' : 'F1');
  const table = config.environment === 'py27' ? FIRST_GEN_MEMORY_MB : MEMORY_MB;
  return table[cls] ?? table.F1!;
}

/** The dev server's version when none is set: the start time, `%Y%m%dt%H%M%S`. */
function startTimeVersion(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', 't');
}

const REQUEST_NAMES = ['HTTPS', 'REQUEST_LOG_ID', 'REQUEST_ID_HASH', 'DEFAULT_VERSION_HOSTNAME', ...Object.keys(userEnvironment(null))];

/**
 * Builds the app's App Engine variables, once, for the backends: the only place that knows them.
 *
 * - Second generation: `GAE_APPLICATION`, `GAE_DEPLOYMENT_ID`, `GAE_ENV` (`standard`, or
 *   `localdev` in development mode, as the dev server sets it, so apps that test it do not reach
 *   for production resources), `GAE_INSTANCE`, `GAE_MEMORY_MB`, `GAE_RUNTIME`, `GAE_SERVICE`,
 *   `GAE_VERSION`, `GOOGLE_CLOUD_PROJECT`, `PORT`.
 * - Flex: `GAE_INSTANCE`, `GAE_MEMORY_MB`, `GAE_SERVICE`, `GAE_VERSION`, `GOOGLE_CLOUD_PROJECT`, `PORT`.
 * - python27: the second-generation set (with first-generation memory figures), plus
 *   `APPENGINE_RUNTIME`, `APPLICATION_ID` (`s~app`, `dev~app` in development), `CURRENT_MODULE_ID`,
 *   `CURRENT_VERSION_ID`, `AUTH_DOMAIN`, `INSTANCE_ID`, `SERVER_SOFTWARE`, `TZ=UTC`; and per
 *   request the `request()` names.
 */
export function compileEnvironment(config: AppConfig, options: EnvironmentOptions = {}): AppEngineEnvironment {
  const mode = options.mode ?? 'production';
  const project = resolveProject(config, options);
  const service = options.service ?? config.service;
  const version = options.version ?? config.version ?? startTimeVersion(new Date());
  // App Engine's deployment ids are large decimal numbers; this one sorts by start time.
  const deploymentId = options.deploymentId ?? `${Date.now()}${String(randomBytes(2).readUInt16BE() % 1000).padStart(3, '0')}`;
  const partition = mode === 'development' ? 'dev' : 's';
  const memory = String(memoryMb(config));

  let fixed: Record<string, string> =
    config.environment === 'flex'
      ? { GAE_MEMORY_MB: memory, GAE_SERVICE: service, GAE_VERSION: version, GOOGLE_CLOUD_PROJECT: project }
      : {
          GAE_APPLICATION: `${partition}~${project}`,
          GAE_DEPLOYMENT_ID: deploymentId,
          GAE_ENV: mode === 'development' ? 'localdev' : 'standard',
          GAE_MEMORY_MB: memory,
          GAE_RUNTIME: config.runtime,
          GAE_SERVICE: service,
          GAE_VERSION: version,
          GOOGLE_CLOUD_PROJECT: project,
        };
  const instanceNames = ['GAE_INSTANCE', 'PORT'];
  if (config.environment === 'py27') {
    fixed = {
      ...fixed,
      APPENGINE_RUNTIME: 'python27',
      APPLICATION_ID: `${partition}~${project}`,
      CURRENT_MODULE_ID: service,
      CURRENT_VERSION_ID: `${version}.${deploymentId}`,
      AUTH_DOMAIN: 'gmail.com',
      SERVER_SOFTWARE: mode === 'development' ? 'Development/2.0' : 'Google App Engine/1.9.91',
      TZ: 'UTC',
    };
    instanceNames.push('INSTANCE_ID');
  }

  const reserved = new Set([...Object.keys(fixed), ...instanceNames, ...REQUEST_NAMES]);
  const user: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.env_variables)) {
    if (reserved.has(name)) options.warn?.(`env_variables: ${name} is set by the runtime and cannot be overridden; ignoring it`);
    else user[name] = value;
  }

  return {
    instance(params = {}) {
      const id = params.instanceId ?? randomBytes(32).toString('hex');
      const env: Record<string, string> = { ...user, ...fixed, GAE_INSTANCE: id };
      if (config.environment === 'py27') env.INSTANCE_ID = id;
      if (params.port !== undefined) env.PORT = String(params.port);
      return env;
    },
    request(req) {
      const facts = req.appEngine;
      if (facts?.requestLogId === undefined) return {};
      return {
        HTTPS: facts.scheme === 'https' ? 'on' : 'off',
        REQUEST_LOG_ID: facts.requestLogId,
        REQUEST_ID_HASH: facts.requestIdHash ?? '',
        DEFAULT_VERSION_HOSTNAME: facts.defaultVersionHostname ?? '',
        ...userEnvironment(facts.user),
      };
    },
    reserved,
  };
}
