import { availableParallelism } from 'node:os';
import type { AppConfig } from '../config/types.js';

/**
 * How many instances a service runs, from app.yaml's scaling element (app-engine.md §1.6), in
 * milliseconds. `automatic`: started as requests need them, between `minInstances` and
 * `maxInstances`, another one when requests wait longer than `maxPendingLatency`, idle ones
 * stopped after `idleTimeout`. `basic`: started on demand up to `maxInstances`, stopped after
 * `idleTimeout`. `manual`: `instances`, started at once and kept running.
 */
export type ScalingPolicy =
  | { kind: 'automatic'; minInstances: number; maxInstances: number; maxPendingLatency: number; idleTimeout: number }
  | { kind: 'basic'; maxInstances: number; idleTimeout: number }
  | { kind: 'manual'; instances: number };

/** What app.yaml does not say, or what a local machine needs said differently. */
export interface ScalingOptions {
  /**
   * Milliseconds an idle instance above `min_instances` lives under automatic scaling (basic
   * scaling uses app.yaml's `idle_timeout`). Default 15 minutes, about what App Engine waits.
   */
  idleTimeout?: number;
  /** Instances at most under automatic scaling when app.yaml sets no `max_instances`. Default: the number of CPUs. */
  maxInstances?: number;
}

/** App Engine's `max_pending_latency` when `automatic` or unset: the dev server's 0.5 s. */
const DEFAULT_MAX_PENDING_LATENCY = 500;
const DEFAULT_IDLE_TIMEOUT = 15 * 60_000;
/** App Engine's `max_concurrent_requests` default. */
const DEFAULT_CONCURRENT_REQUESTS = 10;

export function scalingPolicy(config: Pick<AppConfig, 'automatic_scaling' | 'basic_scaling' | 'manual_scaling'>, options: ScalingOptions = {}): ScalingPolicy {
  if (config.manual_scaling) return { kind: 'manual', instances: config.manual_scaling.instances };
  if (config.basic_scaling) return { kind: 'basic', maxInstances: config.basic_scaling.max_instances, idleTimeout: config.basic_scaling.idle_timeout * 1000 };
  const auto = config.automatic_scaling;
  const minInstances = auto?.min_instances ?? 0;
  const latency = auto?.max_pending_latency;
  return {
    kind: 'automatic',
    minInstances,
    maxInstances: Math.max(minInstances, 1, auto?.max_instances ?? options.maxInstances ?? availableParallelism()),
    maxPendingLatency: typeof latency === 'number' ? latency * 1000 : DEFAULT_MAX_PENDING_LATENCY,
    idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
  };
}

/**
 * Requests one instance serves at once: 1 for an app that is not `threadsafe`, else
 * `max_concurrent_requests` (10 by default). Second-generation apps, which have no `threadsafe`,
 * are taken as thread-safe, as App Engine runs them concurrently too.
 */
export function instanceConcurrency(config: Pick<AppConfig, 'threadsafe' | 'environment' | 'automatic_scaling'>): number {
  const threadsafe = config.threadsafe ?? config.environment !== 'py27';
  return threadsafe ? (config.automatic_scaling?.max_concurrent_requests ?? DEFAULT_CONCURRENT_REQUESTS) : 1;
}
