import type { Field, Reader } from './reader.js';
import type { HealthCheck, LivenessCheck, NetworkConfig, ReadinessCheck, ResourcesConfig, VpcAccessConnector } from './types.js';

const MAX = Number.MAX_SAFE_INTEGER;
const GCE_NAME = /^[a-z]([a-z\d-]{0,61}[a-z\d])?$/;
const HEALTH_KEYS = ['path', 'host', 'check_interval_sec', 'timeout_sec', 'failure_threshold', 'success_threshold'];

function readHealthBase(r: Reader, f: Map<string, Field>) {
  return {
    path: r.matching(f.get('path'), /^\/.*$/, 'a path starting with "/"'),
    host: r.string(f.get('host')),
    check_interval_sec: r.number(f.get('check_interval_sec'), 1, 300),
    timeout_sec: r.number(f.get('timeout_sec'), 1, 300),
    failure_threshold: r.number(f.get('failure_threshold'), 1, 10),
    success_threshold: r.number(f.get('success_threshold'), 1, 10),
  };
}

export function readLivenessCheck(r: Reader, field: Field): LivenessCheck | undefined {
  const f = r.mapping(field, [...HEALTH_KEYS, 'initial_delay_sec'], 'liveness_check');
  return f && { ...readHealthBase(r, f), initial_delay_sec: r.number(f.get('initial_delay_sec'), 0, 3600) };
}

export function readReadinessCheck(r: Reader, field: Field): ReadinessCheck | undefined {
  const f = r.mapping(field, [...HEALTH_KEYS, 'app_start_timeout_sec'], 'readiness_check');
  return f && { ...readHealthBase(r, f), app_start_timeout_sec: r.number(f.get('app_start_timeout_sec'), 1, 1800) };
}

export function readHealthCheck(r: Reader, field: Field): HealthCheck | undefined {
  const keys = ['enable_health_check', 'check_interval_sec', 'timeout_sec', 'unhealthy_threshold', 'healthy_threshold', 'restart_threshold', 'host'];
  const f = r.mapping(field, keys, 'health_check');
  if (!f) return undefined;
  r.warn(field, 'health_check is deprecated; use liveness_check and readiness_check');
  return {
    enable_health_check: r.bool(f.get('enable_health_check')),
    check_interval_sec: r.number(f.get('check_interval_sec'), 0, MAX),
    timeout_sec: r.number(f.get('timeout_sec'), 0, MAX),
    unhealthy_threshold: r.number(f.get('unhealthy_threshold'), 0, MAX),
    healthy_threshold: r.number(f.get('healthy_threshold'), 0, MAX),
    restart_threshold: r.number(f.get('restart_threshold'), 0, MAX),
    host: r.string(f.get('host')),
  };
}

export function readNetwork(r: Reader, field: Field): NetworkConfig | undefined {
  const f = r.mapping(field, ['forwarded_ports', 'instance_tag', 'name', 'subnetwork_name', 'session_affinity', 'instance_ip_mode'], 'network');
  if (!f) return undefined;
  const portsField = f.get('forwarded_ports');
  const ports = portsField ? (r.list(portsField, 'forwarded_ports') ?? []) : [];
  r.ignored(f.get('instance_ip_mode'), 'appyaml runs instances on loopback');
  return {
    forwarded_ports: ports.map((p) => r.matching(p, /^\d+(:\d+)?(\/(udp|tcp))?$/, 'a port like "8081" or "8081:8082/tcp"')).filter((p): p is string => p !== undefined),
    instance_tag: r.matching(f.get('instance_tag'), GCE_NAME, 'a lower-case name of letters, digits and -'),
    name: r.matching(f.get('name'), /^[a-z\d-]+(\/[a-z\d-]+)*$/, 'a network name or path'),
    subnetwork_name: r.matching(f.get('subnetwork_name'), GCE_NAME, 'a lower-case name of letters, digits and -'),
    session_affinity: r.bool(f.get('session_affinity')),
  };
}

export function readResources(r: Reader, field: Field): ResourcesConfig | undefined {
  const f = r.mapping(field, ['cpu', 'memory_gb', 'disk_size_gb', 'volumes'], 'resources');
  if (!f) return undefined;
  const volumesField = f.get('volumes');
  const volumes = (volumesField ? (r.list(volumesField, 'volumes') ?? []) : []).flatMap((v) => {
    const vf = r.mapping(v, ['name', 'volume_type', 'size_gb'], 'a volume');
    if (!vf) return [];
    const name = vf.get('name') ? r.matching(vf.get('name'), /^[a-z\d]([a-z\d-]{0,61}[a-z\d])?$/, 'a lower-case volume name') : r.error(v, 'a volume needs a name');
    const volume_type = vf.get('volume_type') ? r.oneOf(vf.get('volume_type'), ['tmpfs'] as const) : r.error(v, 'a volume needs volume_type');
    const size_gb = vf.get('size_gb') ? r.number(vf.get('size_gb'), 0, MAX, true) : r.error(v, 'a volume needs size_gb');
    return name && volume_type && size_gb !== undefined ? [{ name, volume_type, size_gb }] : [];
  });
  return {
    cpu: r.number(f.get('cpu'), 0, 96, true),
    memory_gb: r.number(f.get('memory_gb'), 0, 6656, true),
    disk_size_gb: r.number(f.get('disk_size_gb'), 10, 10240),
    volumes,
  };
}

export function readVpcAccessConnector(r: Reader, field: Field): VpcAccessConnector | undefined {
  const f = r.mapping(field, ['name', 'egress_setting'], 'vpc_access_connector');
  if (!f) return undefined;
  const name = f.get('name') ? r.matching(f.get('name'), /^[a-z\d-]+(\/.+)*$/, 'a connector name or projects/…/connectors/… path') : r.error(field, 'vpc_access_connector needs a name');
  const egress = r.oneOf(f.get('egress_setting'), ['all-traffic', 'private-ranges-only'] as const);
  return name === undefined ? undefined : { name, egress_setting: egress };
}
