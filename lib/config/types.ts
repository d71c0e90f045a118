import type { ConfigProblem, SourcePosition } from './errors.js';
import type { UrlPattern } from './url-pattern.js';

/**
 * The validated app.yaml. Element names are App Engine's own (snake_case), so the App Engine
 * documentation reads straight onto this model; values are normalised (expirations in seconds,
 * patterns compiled, defaults filled in).
 */
export interface AppConfig {
  /** Absolute path of the app folder; every file path in the config is relative to it. */
  root: string;
  /** The app.yaml path, or `<config>` for an object given in code. */
  file: string;
  /** Which App Engine generation the config describes, derived from `runtime` and `env`. */
  environment: Environment;
  runtime: string;
  service: string;
  version?: string;
  application?: string;
  api_version?: string;
  threadsafe?: boolean;
  handlers: HandlerConfig[];
  default_expiration?: number;
  env_variables: Record<string, string>;
  entrypoint?: string;
  runtime_config: Record<string, string>;
  instance_class?: string;
  automatic_scaling?: AutomaticScaling;
  basic_scaling?: BasicScaling;
  manual_scaling?: ManualScaling;
  inbound_services: InboundService[];
  error_handlers: ErrorHandlerConfig[];
  skip_files: SkipFiles;
  libraries: LibraryConfig[];
  builtins: BuiltinConfig[];
  includes: string[];
  liveness_check?: LivenessCheck;
  readiness_check?: ReadinessCheck;
  health_check?: HealthCheck;
  network?: NetworkConfig;
  resources?: ResourcesConfig;
  beta_settings: Record<string, string>;
  vpc_access_connector?: VpcAccessConnector;
  app_engine_apis: boolean;
  /** Elements that were accepted but are not acted on, or deprecated: worth showing to the user. */
  warnings: ConfigProblem[];
}

/** `py27`: first-generation python27; `standard`: second generation (python3x); `flex`: flexible. */
export type Environment = 'py27' | 'standard' | 'flex';

export type Secure = 'optional' | 'always' | 'never';
export type Login = 'optional' | 'required' | 'admin';
export type AuthFailAction = 'redirect' | 'unauthorized';
export type RedirectCode = 301 | 302 | 303 | 307;

interface HandlerBase {
  /** Position in the merged handler list (0-based). */
  index: number;
  /** The `url` as written, and its compiled form. */
  url: string;
  pattern: UrlPattern;
  secure: Secure;
  login: Login;
  auth_fail_action: AuthFailAction;
  redirect_http_response_code: RedirectCode;
  /** Where the handler was written (app.yaml, an include, or a builtin), with its element path there. */
  source: SourcePosition & { path: string };
}

interface StaticHandlerBase extends HandlerBase {
  mime_type?: string;
  /** Seconds, from the handler's `expiration`; undefined means `default_expiration` applies. */
  expiration?: number;
  /** In file order; names keep the case they were written in. */
  http_headers: Array<[name: string, value: string]>;
  require_matching_file: boolean;
  application_readable: boolean;
}

export interface StaticFilesHandlerConfig extends StaticHandlerBase {
  type: 'static_files';
  /** Relative file path with `\1` / `\g<name>` back-references. */
  static_files: string;
  upload: string;
  /** `upload` compiled: files a deployment would contain for this handler. */
  uploadPattern: RegExp;
}

export interface StaticDirHandlerConfig extends StaticHandlerBase {
  type: 'static_dir';
  /** Relative directory, without a trailing slash. */
  static_dir: string;
}

export interface ScriptHandlerConfig extends HandlerBase {
  type: 'script';
  /** `main.app` (WSGI), `foo.py` / `cgi-bin/x` (CGI), or `auto`; may hold back-references. */
  script: string;
}

export type HandlerConfig = StaticFilesHandlerConfig | StaticDirHandlerConfig | ScriptHandlerConfig;
export type StaticHandlerConfig = StaticFilesHandlerConfig | StaticDirHandlerConfig;

/** `skip_files`: matched with Python's `re.match` semantics (anchored at the start) against paths relative to the root. */
export interface SkipFiles {
  sources: string[];
  pattern: RegExp;
}

export type ErrorCode = 'default' | 'over_quota' | 'dos_api_denial' | 'timeout';
export interface ErrorHandlerConfig {
  error_code: ErrorCode;
  file: string;
  mime_type?: string;
}

export type InboundService = 'mail' | 'mail_bounce' | 'rest' | 'warmup';

export interface LibraryConfig {
  name: string;
  /** `latest` is resolved to the version App Engine would pick. */
  version: string;
}

export interface BuiltinConfig {
  name: string;
  enabled: boolean;
}

export interface AutomaticScaling {
  min_idle_instances?: number | 'automatic';
  max_idle_instances?: number | 'automatic';
  /** Seconds, or `automatic`. */
  min_pending_latency?: number | 'automatic';
  max_pending_latency?: number | 'automatic';
  max_concurrent_requests?: number;
  min_instances?: number;
  max_instances?: number;
  target_cpu_utilization?: number;
  target_throughput_utilization?: number;
  min_num_instances?: number;
  max_num_instances?: number;
  cool_down_period_sec?: number;
  cpu_utilization?: { target_utilization?: number; aggregation_window_length_sec?: number };
  target_concurrent_requests?: number;
  /** The remaining flex network/disk/request targets, by name. */
  targets: Record<string, number>;
}

export interface BasicScaling {
  max_instances: number;
  /** Seconds; App Engine's default is 5 minutes. */
  idle_timeout: number;
}

export interface ManualScaling {
  instances: number;
}

export interface HealthCheckBase {
  path?: string;
  host?: string;
  check_interval_sec?: number;
  timeout_sec?: number;
  failure_threshold?: number;
  success_threshold?: number;
}
export interface LivenessCheck extends HealthCheckBase {
  initial_delay_sec?: number;
}
export interface ReadinessCheck extends HealthCheckBase {
  app_start_timeout_sec?: number;
}
export interface HealthCheck {
  enable_health_check?: boolean;
  check_interval_sec?: number;
  timeout_sec?: number;
  unhealthy_threshold?: number;
  healthy_threshold?: number;
  restart_threshold?: number;
  host?: string;
}

export interface NetworkConfig {
  forwarded_ports: string[];
  instance_tag?: string;
  name?: string;
  subnetwork_name?: string;
  session_affinity?: boolean;
}

export interface ResourcesConfig {
  cpu?: number;
  memory_gb?: number;
  disk_size_gb?: number;
  volumes: Array<{ name: string; volume_type: string; size_gb: number }>;
}

export interface VpcAccessConnector {
  name: string;
  egress_setting?: 'all-traffic' | 'private-ranges-only';
}
