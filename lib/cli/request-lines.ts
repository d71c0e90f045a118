import type { Logger, LogFn, Severity } from '../index.js';
import { formatBytes, palette, useColor } from './output.js';

/** Options of `readableLogger`. */
export interface ReadableLoggerOptions {
  /** Receives each line, newline included. Default: `process.stdout`. */
  destination?: { write(line: string): unknown };
  /** ANSI colours. Default: only when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
  /** Names the handler that answered a request, from its request id (`handler` column). */
  handlerOf?: (requestId: string) => string | undefined;
}

interface HttpRequestEntry {
  requestMethod?: string;
  requestUrl?: string;
  status?: number;
  responseSize?: string;
  latency?: string;
}

/**
 * The logger `appyaml serve` prints through by default: one readable line per request — status,
 * method, path, the handler that answered, latency, response size, and the request id when the
 * answer is an error — and the app's own lines (its stdout and stderr, backend problems) beneath,
 * indented. The same lines are what `--json` prints as Cloud Logging JSON.
 */
export function readableLogger(options: ReadableLoggerOptions = {}): Required<Logger> {
  const out = options.destination ?? process.stdout;
  const paint = palette(options.color ?? useColor);
  const make = (severity: Severity, bindings: Record<string, unknown>): LogFn => (obj, msg) => {
    const entry = { ...bindings, ...obj };
    const http = entry.httpRequest as HttpRequestEntry | undefined;
    out.write(`${http ? requestLine(entry, http) : appLine(severity, entry, msg ?? '')}\n`);
  };

  function requestLine(entry: Record<string, unknown>, http: HttpRequestEntry): string {
    const status = http.status ?? 0;
    const tint = status >= 500 || status === 0 ? paint.red : status >= 400 ? paint.yellow : status >= 300 ? paint.cyan : paint.green;
    const id = typeof entry.requestId === 'string' ? entry.requestId : '';
    const handler = (id && options.handlerOf?.(id)) || '-';
    const parts = [
      tint(String(status || '---')),
      (http.requestMethod ?? '').padEnd(6),
      pathOf(http.requestUrl ?? '').padEnd(24),
      paint.dim(handler),
      latencyOf(http.latency),
      formatBytes(Number(http.responseSize ?? 0)),
    ];
    const aborted = typeof entry.abort === 'string' ? ` ${paint.red(entry.abort)}` : '';
    const failed = status >= 400 || status === 0 || aborted;
    return `${parts.join('  ')}${aborted}${failed && id ? paint.dim(`  request ${id}`) : ''}`;
  }

  function appLine(severity: Severity, entry: Record<string, unknown>, message: string): string {
    const tint = severity === 'ERROR' || severity === 'CRITICAL' || severity === 'ALERT' || severity === 'EMERGENCY' ? paint.red : severity === 'WARNING' ? paint.yellow : paint.dim;
    const err = entry.err instanceof Error ? `\n${entry.err.stack ?? entry.err.message}` : '';
    const id = typeof entry.requestId === 'string' ? paint.dim(`  request ${entry.requestId}`) : '';
    // The app's own output is labelled by stream: gunicorn, for one, logs everything to stderr.
    const label = typeof entry.stream === 'string' ? paint.dim(entry.stream.padEnd(7)) : tint(severity.padEnd(7));
    return `  ${label} ${message}${id}${err}`;
  }

  const logger = (bindings: Record<string, unknown>): Required<Logger> => ({
    debug: make('DEBUG', bindings),
    info: make('INFO', bindings),
    warn: make('WARNING', bindings),
    error: make('ERROR', bindings),
    fatal: make('CRITICAL', bindings),
    child: (more) => logger({ ...bindings, ...more }),
  });
  return logger({});
}

/** The path and query of a full request URL. */
function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
}

/** `0.001234s` → `1.2 ms`. */
function latencyOf(latency: string | undefined): string {
  const seconds = Number.parseFloat(latency ?? '0');
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(1)} ms`;
}
