import type { ReadHandler } from './handlers.js';
import type { Field, Reader } from './reader.js';
import type { BuiltinConfig } from './types.js';
import { compileUrlPattern } from './url-pattern.js';

/** A handler a builtin adds (SDK `ext/builtins/<name>/include.yaml`); scripts need Google's SDK on the Python path. */
export interface BuiltinHandler {
  url: string;
  script: string;
  login?: 'admin';
  position: 'head' | 'tail';
}

const ADMIN = { login: 'admin' as const, position: 'head' as const };
const MAPREDUCE: BuiltinHandler = { url: '/_ah/mapreduce.*', script: 'google.appengine.ext.mapreduce.main.APP', ...ADMIN };

export const BUILTIN_HANDLERS: Readonly<Record<string, readonly BuiltinHandler[]>> = {
  deferred: [{ url: '/_ah/queue/deferred', script: 'google.appengine.ext.deferred.deferred.application', ...ADMIN }],
  remote_api: [{ url: '/_ah/remote_api(/.*)?', script: 'google.appengine.ext.remote_api.handler.application', position: 'head' }],
  appstats: [{ url: '/_ah/stats.*', script: 'google.appengine.ext.appstats.ui.app', position: 'head' }],
  admin_redirect: [{ url: '/_ah/admin.*', script: 'google.appengine.ext.admin_redirect.main.APP', position: 'head' }],
  datastore_admin: [{ url: '/_ah/datastore_admin.*', script: 'google.appengine.ext.datastore_admin.main.APP', ...ADMIN }, MAPREDUCE],
  mapreduce: [MAPREDUCE],
  django_wsgi: [{ url: '/.*', script: 'google.appengine.ext.django.main.app', position: 'tail' }],
};

const ON = new Set(['on', 'yes', 'y', 'True', 't', '1', 'true']);
const OFF = new Set(['off', 'no', 'n', 'False', 'f', '0', 'false']);

/**
 * `builtins:` — a list of one-key mappings `- name: on|off`. As in the SDK, the first setting of
 * a builtin wins (app.yaml before includes): a later one is ignored with a warning.
 */
export function readBuiltins(r: Reader, field: Field | undefined, seen: Map<string, boolean>): BuiltinConfig[] {
  if (!field) return [];
  const local = new Set<string>();
  const out: BuiltinConfig[] = [];
  for (const item of r.list(field, 'builtins') ?? []) {
    const entries = r.mapping(item, Object.keys(BUILTIN_HANDLERS), 'builtins');
    if (!entries || entries.size === 0) continue;
    if (entries.size !== 1) {
      r.error(item, 'each builtins entry names one builtin; start each with "-"');
      continue;
    }
    const [name, value] = [...entries][0]!;
    if (local.has(name)) r.error(value, `builtin ${name} is listed twice`, 'key');
    local.add(name);
    const raw = (value.node as { value?: unknown } | null)?.value;
    const text = raw === true ? 'on' : raw === false ? 'off' : String(raw);
    if (!ON.has(text) && !OFF.has(text)) {
      r.error(value, `must be on or off, not "${text}"`);
    } else if (seen.has(name)) {
      if (seen.get(name) !== ON.has(text)) r.warn(value, `builtin ${name} was already turned ${seen.get(name) ? 'on' : 'off'}; this setting is ignored`);
    } else {
      seen.set(name, ON.has(text));
      out.push({ name, enabled: ON.has(text) });
    }
  }
  return out;
}

/** The handlers an enabled builtin adds, ready to merge. */
export function builtinHandlers(builtin: BuiltinConfig): ReadHandler[] {
  if (!builtin.enabled) return [];
  return (BUILTIN_HANDLERS[builtin.name] ?? []).map((h) => ({
    position: h.position,
    handler: {
      type: 'script', index: 0, url: h.url, pattern: compileUrlPattern(h.url), script: h.script, secure: 'optional',
      login: h.login ?? 'optional', auth_fail_action: 'redirect', redirect_http_response_code: 302,
      source: { file: `builtin:${builtin.name}`, path: `builtins.${builtin.name}` },
    },
  }));
}
