import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../config/types.js';
import { scalingPolicy, type ScalingOptions, type ScalingPolicy } from '../scaling.js';

/**
 * App Engine's default entrypoint for a second-generation Python app whose `main.py` defines
 * `app`, bound to loopback only (gunicorn's `-b :$PORT` would listen on every interface).
 */
export const DEFAULT_ENTRYPOINT = 'gunicorn -b 127.0.0.1:$PORT main:app';

/** A module-level `app` in main.py: an assignment, a def or a class, or an import `as app`. */
const DEFINES_APP = /^(app\s*(:[^=\n]*)?=[^=]|(async\s+)?def\s+app\s*\(|class\s+app\b|(from\s+\S+\s+)?import\s+.*\bas\s+app\b)/m;

/**
 * The command that serves the app, or undefined when it has none: app.yaml's `entrypoint`
 * (flex, or a second-generation runtime), else, on a second-generation runtime, App Engine's
 * default when the app folder's `main.py` defines `app`. python27 apps never have one.
 */
export function entrypointCommand(config: Pick<AppConfig, 'environment' | 'entrypoint' | 'root'>): string | undefined {
  if (config.environment === 'py27') return undefined;
  if (config.entrypoint) return config.entrypoint;
  if (config.environment !== 'standard') return undefined;
  const main = join(config.root, 'main.py');
  if (!existsSync(main)) return undefined;
  try {
    return DEFINES_APP.test(readFileSync(main, 'utf8')) ? DEFAULT_ENTRYPOINT : undefined;
  } catch {
    return undefined;
  }
}

/** App Engine's default instance floor for flex is 2; one serves locally. */
const FLEX_MIN_INSTANCES = 1;
const FLEX_IDLE_TIMEOUT = 15 * 60_000;
/** A flex instance takes every request it is sent; this only bounds what one instance is given at once. */
const FLEX_CONCURRENCY = 100;

/**
 * How many entrypoint instances run: flex's `manual_scaling.instances`, or automatic scaling
 * between `min_num_instances` (default 1) and `max_num_instances` (default `maxInstances`, the
 * number of CPUs); second-generation apps as `scalingPolicy` says.
 */
export function entrypointScaling(config: AppConfig, options: ScalingOptions = {}): ScalingPolicy {
  if (config.environment !== 'flex' || config.manual_scaling) return scalingPolicy(config, options);
  const auto = config.automatic_scaling;
  const minInstances = auto?.min_num_instances ?? FLEX_MIN_INSTANCES;
  return {
    kind: 'automatic',
    minInstances,
    maxInstances: Math.max(minInstances, auto?.max_num_instances ?? options.maxInstances ?? availableParallelism()),
    maxPendingLatency: 500,
    idleTimeout: options.idleTimeout ?? FLEX_IDLE_TIMEOUT,
  };
}

/**
 * Requests one instance is given at once: flex's `target_concurrent_requests` (default 100);
 * second generation's `max_concurrent_requests` (default 10).
 */
export function entrypointConcurrency(config: AppConfig): number {
  if (config.environment === 'flex') return config.automatic_scaling?.target_concurrent_requests ?? FLEX_CONCURRENCY;
  return config.automatic_scaling?.max_concurrent_requests ?? 10;
}
