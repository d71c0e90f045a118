import type { Field, Reader } from './reader.js';
import type { AutomaticScaling, BasicScaling, ManualScaling } from './types.js';

const MAX = Number.MAX_SAFE_INTEGER;
const IDLE_INSTANCES = /^(\d+|automatic)$/;
const PENDING_LATENCY = /^(\d+((\.\d{1,3})?s|ms)|automatic)$/;
const INSTANCES = /^[1-9]\d*$/;
const IDLE_TIMEOUT = /^\d+(s|m)$/;
const FLEX_TARGETS = [
  'target_network_sent_bytes_per_sec', 'target_network_sent_packets_per_sec', 'target_network_received_bytes_per_sec',
  'target_network_received_packets_per_sec', 'target_disk_write_bytes_per_sec', 'target_disk_write_ops_per_sec',
  'target_disk_read_bytes_per_sec', 'target_disk_read_ops_per_sec', 'target_request_count_per_sec',
];
const AUTOMATIC_KEYS = [
  'min_idle_instances', 'max_idle_instances', 'min_pending_latency', 'max_pending_latency', 'max_concurrent_requests',
  'min_instances', 'max_instances', 'target_cpu_utilization', 'target_throughput_utilization', 'min_num_instances',
  'max_num_instances', 'cool_down_period_sec', 'cpu_utilization', 'target_concurrent_requests', 'custom_metrics', ...FLEX_TARGETS,
];

function idleInstances(r: Reader, f: Field | undefined): number | 'automatic' | undefined {
  const v = r.matching(f, IDLE_INSTANCES, 'a whole number or "automatic"');
  return v === undefined || v === 'automatic' ? v : Number(v);
}

/** Pending latency in seconds (`30ms`, `1.5s`), or `automatic`. */
function pendingLatency(r: Reader, f: Field | undefined): number | 'automatic' | undefined {
  const v = r.matching(f, PENDING_LATENCY, 'a latency like "30ms", "1.5s" or "automatic"');
  if (v === undefined || v === 'automatic') return v;
  return v.endsWith('ms') ? Number(v.slice(0, -2)) / 1000 : Number(v.slice(0, -1));
}

export function readAutomaticScaling(r: Reader, field: Field): AutomaticScaling | undefined {
  const f = r.mapping(field, AUTOMATIC_KEYS, 'automatic_scaling');
  if (!f) return undefined;
  const cpuField = f.get('cpu_utilization');
  const cpu = cpuField ? r.mapping(cpuField, ['target_utilization', 'aggregation_window_length_sec'], 'cpu_utilization') : undefined;
  const targets: Record<string, number> = {};
  for (const key of FLEX_TARGETS) {
    const n = r.number(f.get(key), 1, MAX);
    if (n !== undefined) targets[key] = n;
  }
  r.ignored(f.get('custom_metrics'), 'custom metrics drive autoscaling in production only');
  const maxConcurrent = r.matching(f.get('max_concurrent_requests'), /^[1-9]\d*$/, 'a whole number from 1');
  if (maxConcurrent !== undefined && Number(maxConcurrent) > 1000) r.error(f.get('max_concurrent_requests')!, 'must be at most 1000');
  const result: AutomaticScaling = {
    min_idle_instances: idleInstances(r, f.get('min_idle_instances')),
    max_idle_instances: idleInstances(r, f.get('max_idle_instances')),
    min_pending_latency: pendingLatency(r, f.get('min_pending_latency')),
    max_pending_latency: pendingLatency(r, f.get('max_pending_latency')),
    max_concurrent_requests: maxConcurrent === undefined ? undefined : Number(maxConcurrent),
    min_instances: r.number(f.get('min_instances'), 0, 1000),
    max_instances: r.number(f.get('max_instances'), 1, 2147483647),
    target_cpu_utilization: r.number(f.get('target_cpu_utilization'), 0.5, 0.95, true),
    target_throughput_utilization: r.number(f.get('target_throughput_utilization'), 0.5, 0.95, true),
    min_num_instances: r.number(f.get('min_num_instances'), 1, MAX),
    max_num_instances: r.number(f.get('max_num_instances'), 1, MAX),
    cool_down_period_sec: r.number(f.get('cool_down_period_sec'), 60, MAX),
    cpu_utilization: cpu && {
      target_utilization: r.number(cpu.get('target_utilization'), 1e-6, 1, true),
      aggregation_window_length_sec: r.number(cpu.get('aggregation_window_length_sec'), 1, MAX),
    },
    target_concurrent_requests: r.number(f.get('target_concurrent_requests'), 1, MAX),
    targets,
  };
  const lo = result.min_instances;
  const hi = result.max_instances;
  if (lo !== undefined && hi !== undefined && lo > hi) r.error(f.get('min_instances')!, 'min_instances is larger than max_instances');
  const lo2 = result.min_num_instances;
  const hi2 = result.max_num_instances;
  if (lo2 !== undefined && hi2 !== undefined && lo2 > hi2) r.error(f.get('min_num_instances')!, 'min_num_instances is larger than max_num_instances');
  return result;
}

export function readBasicScaling(r: Reader, field: Field): BasicScaling | undefined {
  const f = r.mapping(field, ['max_instances', 'idle_timeout'], 'basic_scaling');
  if (!f) return undefined;
  const max = f.get('max_instances') ? r.matching(f.get('max_instances'), INSTANCES, 'a whole number from 1') : r.error(field, 'basic_scaling needs max_instances');
  const idle = r.matching(f.get('idle_timeout'), IDLE_TIMEOUT, 'a duration in seconds or minutes, like "10m" or "30s"');
  if (max === undefined) return undefined;
  const idleSeconds = idle === undefined ? 300 : Number(idle.slice(0, -1)) * (idle.endsWith('m') ? 60 : 1);
  return { max_instances: Number(max), idle_timeout: idleSeconds };
}

export function readManualScaling(r: Reader, field: Field): ManualScaling | undefined {
  const f = r.mapping(field, ['instances'], 'manual_scaling');
  if (!f) return undefined;
  const n = f.get('instances') ? r.matching(f.get('instances'), INSTANCES, 'a whole number from 1') : r.error(field, 'manual_scaling needs instances');
  return n === undefined ? undefined : { instances: Number(n) };
}
