import type { AppConfig, HandlerConfig } from '../index.js';
import { table } from './output.js';

/** The file, folder or script a handler names. */
export function handlerTarget(h: HandlerConfig): string {
  return h.type === 'static_dir' ? h.static_dir : h.type === 'static_files' ? h.static_files : h.script;
}

/** A static handler's cache lifetime in seconds (App Engine's default is 10 minutes); null for scripts. */
export function handlerExpiration(h: HandlerConfig, config: AppConfig): number | null {
  return h.type === 'script' ? null : (h.expiration ?? config.default_expiration ?? 600);
}

/** The handler table `serve` and `routes` print: index, url, kind, target, secure, login, expiration. */
export function handlerTable(config: AppConfig): string {
  if (config.handlers.length === 0) return '(no handlers: every request goes to the entrypoint)';
  const rows = [['#', 'url', 'kind', 'target', 'secure', 'login', 'expiration']];
  for (const h of config.handlers) {
    const seconds = handlerExpiration(h, config);
    const expiration = seconds === null ? '' : `${seconds}s${h.type !== 'script' && h.expiration === undefined ? ' (default)' : ''}`;
    rows.push([String(h.index), h.url, h.type, handlerTarget(h), h.secure, h.login, expiration]);
  }
  return table(rows);
}
