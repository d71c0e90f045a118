import { writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/** Cloud Logging's severities, which App Engine's log viewer shows. */
export type Severity = 'DEFAULT' | 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL' | 'ALERT' | 'EMERGENCY';

/** One logging method: a structured object, then an optional message (pino's argument order). */
export type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

/**
 * Where appyaml writes its log lines: any pino-compatible logger (`pino()`, a pino child, or an
 * object with these methods). Lines about a request carry its ids in `obj` (see `requestLogger`).
 * A `severity` field in `obj` names a Cloud Logging severity that pino's five methods lack
 * (`NOTICE`, `ALERT`, `EMERGENCY`); the default logger writes it as the line's severity.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal?: LogFn;
  /** A logger that adds `bindings` to every line; used, when present, for per-request loggers. */
  child?(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => {};
/** A logger that drops every line: `logger: silentLogger` when the host keeps its own access log. */
export const silentLogger: Required<Logger> = { debug: ignore, info: ignore, warn: ignore, error: ignore, fatal: ignore, child: () => silentLogger };

/** Options of `jsonLogger`. */
export interface JsonLoggerOptions {
  /**
   * Receives each line, newline included. Default: standard output, the lines of one turn of the
   * event loop written together (one write per turn instead of one per request; what is pending
   * at exit is written synchronously).
   */
  destination?: { write(line: string): unknown };
  /** Fields added to every line. */
  bindings?: Record<string, unknown>;
}

/**
 * The default logger: one JSON object per line in Cloud Logging's structured format (`severity`,
 * `message`, `time`, then the fields given), which App Engine's log agent and `appyaml serve` read.
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Required<Logger> {
  const destination = options.destination ?? stdoutLines();
  const bindings = options.bindings ?? {};
  const line = (severity: Severity) => (obj: Record<string, unknown>, msg?: string) => {
    const entry: Record<string, unknown> = { severity, time: new Date().toISOString(), message: msg ?? '', ...bindings, ...obj };
    // Error objects stringify to {}; the stack is what Error Reporting reads.
    if (obj.err instanceof Error) entry.err = obj.err.stack ?? String(obj.err);
    let text: string;
    try {
      text = JSON.stringify(entry);
    } catch (err) {
      // A circular or BigInt field must not lose the line, nor throw into the request.
      text = JSON.stringify({ severity, time: entry.time, message: msg ?? '', logError: String(err) });
    }
    destination.write(`${text}\n`);
  };
  return {
    debug: line('DEBUG'),
    info: line('INFO'),
    warn: line('WARNING'),
    error: line('ERROR'),
    fatal: line('CRITICAL'),
    child: (more) => jsonLogger({ destination, bindings: { ...bindings, ...more } }),
  };
}

let stdout: { write(line: string): void } | undefined;

/** Standard output, batched per turn of the event loop; one for the process. */
function stdoutLines(): { write(line: string): void } {
  if (stdout) return stdout;
  let pending = '';
  const flush = () => {
    const text = pending;
    pending = '';
    process.stdout.write(text);
  };
  process.once('exit', () => {
    try {
      // Nothing can wait now: the last lines go out synchronously.
      if (pending) writeSync(1, pending);
    } catch {
      // Standard output is closed: the lines are lost, the exit goes on.
    }
  });
  stdout = {
    write(line) {
      if (pending === '') setImmediate(flush);
      pending += line;
    },
  };
  return stdout;
}

/** A logger that adds `bindings` to each line, for loggers without `child`. */
function bound(logger: Logger, bindings: Record<string, unknown>): Logger {
  const wrap = (fn: LogFn): LogFn => (obj, msg) => fn.call(logger, { ...bindings, ...obj }, msg);
  const fatal = logger.fatal;
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    ...(fatal ? { fatal: wrap(fatal) } : {}),
    child: (more) => bound(logger, { ...bindings, ...more }),
  };
}

interface RequestLogState {
  base: Logger;
  bindings: Record<string, unknown>;
  child?: Logger;
}

const requestLogs = new WeakMap<IncomingMessage, RequestLogState>();
let fallback: Logger | undefined;

/** Records which logger and ids a request's lines use (the envelope calls this once per request). */
export function bindRequestLogger(req: IncomingMessage, base: Logger, bindings: Record<string, unknown>): void {
  requestLogs.set(req, { base, bindings });
}

/** The fields that tie a line to `req` (request log id and trace), or `{}` outside the envelope. */
export function requestLogBindings(req: IncomingMessage): Record<string, unknown> {
  return requestLogs.get(req)?.bindings ?? {};
}

/**
 * The logger for lines a request causes (backend output, errors): every line carries the request
 * log id and the trace fields, so Cloud Logging and `appyaml serve` group it under the request.
 * Outside `envelope()` it is the default JSON logger, without ids.
 */
export function requestLogger(req: IncomingMessage): Logger {
  const state = requestLogs.get(req);
  if (!state) return (fallback ??= jsonLogger());
  // Made on first use: most requests never log beyond their request line.
  state.child ??= state.base.child ? state.base.child(state.bindings) : bound(state.base, state.bindings);
  return state.child;
}
