import http from 'node:http';
import { connect } from 'node:net';
import type { AppConfig, HealthCheckBase } from '../../config/types.js';

/** One kind of health check, in milliseconds, from app.yaml's `readiness_check` or `liveness_check`. */
export interface HealthCheckPolicy {
  /** The HTTP path asked; without one, the check is that the port accepts a connection. */
  path?: string;
  /** `Host` of the check request. Default: the instance's address. */
  host?: string;
  interval: number;
  timeout: number;
  /** Failures in a row that count (liveness: restart). */
  failureThreshold: number;
  /** Successes in a row that count (readiness: ready). */
  successThreshold: number;
}

export interface LivenessPolicy extends HealthCheckPolicy {
  /** Milliseconds after the instance is ready before the first check. */
  initialDelay: number;
}

function base(check: HealthCheckBase | undefined, defaults: { interval: number; timeout: number; failures: number; successes: number }): HealthCheckPolicy {
  return {
    path: check?.path,
    host: check?.host,
    interval: (check?.check_interval_sec ?? defaults.interval) * 1000,
    timeout: (check?.timeout_sec ?? defaults.timeout) * 1000,
    failureThreshold: check?.failure_threshold ?? defaults.failures,
    successThreshold: check?.success_threshold ?? defaults.successes,
  };
}

/** `readiness_check` with App Engine's defaults (app-engine.md §1.8); its path is asked while the instance starts. */
export function readinessPolicy(config: Pick<AppConfig, 'readiness_check'>): HealthCheckPolicy {
  return base(config.readiness_check, { interval: 5, timeout: 4, failures: 2, successes: 2 });
}

/**
 * `liveness_check` with App Engine's defaults, or undefined when app.yaml has none: App Engine's
 * default checks never reach the app, so an app that did not ask is never restarted for them.
 */
export function livenessPolicy(config: Pick<AppConfig, 'liveness_check'>): LivenessPolicy | undefined {
  const check = config.liveness_check;
  if (!check) return undefined;
  return { ...base(check, { interval: 30, timeout: 4, failures: 4, successes: 2 }), initialDelay: (check.initial_delay_sec ?? 300) * 1000 };
}

/** Whether something accepts TCP connections on `127.0.0.1:port` within `timeout` ms. */
export function portAccepts(port: number, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeout, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether `GET path` on `127.0.0.1:port` answers 2xx within `timeout` ms (App Engine wants 200). */
export function pathAnswers(port: number, path: string, host: string | undefined, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout, headers: host ? { Host: host } : undefined }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

/** One check of `policy` against the instance on `port`. */
export function check(port: number, policy: HealthCheckPolicy): Promise<boolean> {
  return policy.path === undefined ? portAccepts(port, policy.timeout) : pathAnswers(port, policy.path, policy.host, policy.timeout);
}

/**
 * Asks `policy`'s check every `interval` once `initialDelay` has passed, and calls `onFailed`
 * once, after `failureThreshold` failures in a row. `stop()` ends it.
 */
export function watchLiveness(port: number, policy: LivenessPolicy, onFailed: (failures: number) => void): { stop(): void } {
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const next = (ms: number) => {
    timer = setTimeout(() => void probe(), ms).unref();
  };
  const probe = async () => {
    const ok = await check(port, policy);
    if (stopped) return;
    failures = ok ? 0 : failures + 1;
    if (failures >= policy.failureThreshold) {
      stopped = true;
      return onFailed(failures);
    }
    next(policy.interval);
  };
  next(policy.initialDelay);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
