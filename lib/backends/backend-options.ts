import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/types.js';
import type { AppEngineEnvironment, EnvironmentOptions } from '../envelope/environment.js';
import type { Logger } from '../envelope/logger.js';
import type { ScalingOptions } from './scaling.js';

/** What every script backend (`wsgi()`, `cgi()`, `entrypoint()`) is given. */
export interface BackendOptions extends ScalingOptions, Omit<EnvironmentOptions, 'warn'> {
  /** The loaded app.yaml (`loadAppYaml()`): its root, handlers, scaling and `env_variables`. */
  config: AppConfig;
  /** The Python interpreter. Default `/usr/bin/python3` when it exists, else `python3` on PATH. */
  python?: string;
  /**
   * The App Engine variables, when the caller already compiled them (`compileEnvironment`), so
   * that every backend of the app shows the same version and deployment id. Default: compiled
   * here from `config` and the identity options.
   */
  environment?: AppEngineEnvironment;
  /** Where instance lines go (requests' lines go to the envelope's logger). Default: JSON lines on stdout; `false` for none. */
  logger?: Logger | false;
  /** Largest response body in bytes. Default 32 MiB. */
  maxResponseBytes?: number;
  /**
   * Answers what the backend itself decides (500 the app failed, 502 its instance died, 503 no
   * instance free or shutting down, 504 no answer in time). `appYaml()` passes its frontend's
   * `answerError` (the app's `error_handlers` pages). Default: App Engine's error page.
   */
  answerError?: (req: IncomingMessage, res: ServerResponse, status: number) => void;
  /** Milliseconds a request waits for a free instance before 503. Default 10 000. */
  queueTimeout?: number;
  /** Milliseconds an instance has to start. Default 30 000. */
  startTimeout?: number;
}
