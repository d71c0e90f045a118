import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerPlain, hasBody } from '../../envelope/answers.js';
import { requestLogger } from '../../envelope/logger.js';
import { UpstreamConnections, type ConnectionUser, type UpstreamConnection } from './connections.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { ResponseParser, type ResponseEvents } from './response-parser.js';
import { relayUpgrade } from './upgrade.js';

/** How an exchange ended, for the caller's bookkeeping (the lease, the instance's health). */
export type ProxyOutcome =
  /** The upstream answered (whatever the status), or the client left. */
  | 'done'
  /** Nothing listens on the port: the instance is gone or going. */
  | 'refused'
  /** The upstream broke the exchange (reset, bad framing, too large) or did not answer in time. */
  | 'failed';

/** What one proxied request tells its caller. */
export interface ProxyHooks {
  /** Called once, when the exchange is over. */
  end(outcome: ProxyOutcome): void;
  /**
   * The port refused the connection before anything was sent or answered: return true to take
   * the request back (to try another instance; `end` is then not called), false to have it
   * answered 502. Only asked for requests without a body, which can be sent again.
   */
  retry?(): boolean;
}

/** Options of `ReverseProxy`. */
export interface ReverseProxyOptions {
  /** Largest response body in bytes: a declared larger one is 502 before any byte goes out, a longer one is cut. Default 32 MiB. */
  maxResponseBytes?: number;
  /** Largest request body in bytes (413), for requests no envelope has metered. Default 32 MiB. */
  maxRequestBytes?: number;
  /** Milliseconds a request may take, when the request has no deadline of its own. Default 60 minutes, flex's deadline. */
  timeout?: number;
  /**
   * Milliseconds before the request's deadline (`req.appEngine.deadline`) at which an upstream
   * that has not answered gets 504, so that the proxy, not the envelope's deadline, answers. Default 100.
   */
  deadlineMargin?: number;
  /** Answers 502 and 504 (App Engine's error page by default; `appYaml()` passes the app's `error_handlers`). */
  answerError: (req: IncomingMessage, res: ServerResponse, status: number) => void;
}

const MIB = 1024 * 1024;

/**
 * A streaming HTTP/1.1 reverse proxy to servers on loopback ports: `node:http` faces the
 * client; upstream, its own keep-alive connections and a strict response parser
 * (`ResponseParser`), about twice as fast as Node's HTTP client. Request and response bodies
 * flow through with backpressure, never buffered. Framing is always ours (the client's is never
 * relayed); hop-by-hop headers go both ways.
 */
export class ReverseProxy {
  /** @internal */
  readonly connections: UpstreamConnections;
  private readonly maxResponseBytes: number;
  private readonly maxRequestBytes: number;
  private readonly timeout: number;
  private readonly deadlineMargin: number;
  private readonly answerError: ReverseProxyOptions['answerError'];

  constructor(options: ReverseProxyOptions) {
    this.maxResponseBytes = options.maxResponseBytes ?? 32 * MIB;
    this.maxRequestBytes = options.maxRequestBytes ?? 32 * MIB;
    this.timeout = options.timeout ?? 60 * 60_000;
    this.deadlineMargin = options.deadlineMargin ?? 100;
    this.answerError = options.answerError;
    // Idle connections close after 1 s, before gunicorn's own 2 s keep-alive would close them under us.
    this.connections = new UpstreamConnections(1000);
  }

  /** Sends `req` to `127.0.0.1:port` and streams the answer to `res`. Never throws. */
  web(req: IncomingMessage, res: ServerResponse, port: number, hooks: ProxyHooks): void {
    const declared = req.headers['content-length'];
    if (req.appEngine?.requestLogId === undefined && declared !== undefined && Number(declared) > this.maxRequestBytes) {
      answerPlain(req, res, 413);
      return hooks.end('done');
    }
    const deadline = req.appEngine?.deadline;
    const ms = deadline === undefined ? this.timeout : Math.max(1, deadline - Date.now() - this.deadlineMargin);
    new Exchange(this, req, res, port, hooks, ms).send(false);
  }

  /**
   * Relays a WebSocket (or any `Upgrade`) request from a server's `upgrade` event to
   * `127.0.0.1:port`: the upstream's 101 and both byte streams, or its refusal. `end` is called
   * once the upgrade succeeded or failed (the tunnel then lives on its own).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, port: number, end: (outcome: ProxyOutcome) => void): void {
    relayUpgrade(req, socket, head, port, this.timeout, end);
  }

  /** Closes the idle upstream connections. */
  close(): void {
    this.connections.close();
  }

  /** @internal */
  get limits(): { maxResponseBytes: number; maxRequestBytes: number } {
    return { maxResponseBytes: this.maxResponseBytes, maxRequestBytes: this.maxRequestBytes };
  }

  /** @internal */
  fail(req: IncomingMessage, res: ServerResponse, status: number, message: string, fields: Record<string, unknown> = {}): void {
    requestLogger(req).error(fields, `${message}; answered ${status}`);
    this.answerError(req, res, status);
  }
}

/** One request's trip through the proxy, on a keep-alive connection of its own while it lasts. */
class Exchange implements ConnectionUser, ResponseEvents {
  private conn: UpstreamConnection | undefined;
  private parser: ResponseParser | undefined;
  private readonly timer: NodeJS.Timeout;
  private finished = false;
  /** The whole request went out: the connection may carry another one after the response. */
  private sent = false;
  private received = 0;
  private retried = false;
  /** Response body bytes relayed so far. */
  private size = 0;
  /** Waiting for the client to drain before reading more from the upstream. */
  private draining = false;
  private readonly bodiless: boolean;
  private readonly chunked: boolean;

  constructor(
    private readonly proxy: ReverseProxy,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly port: number,
    private readonly hooks: ProxyHooks,
    ms: number,
  ) {
    this.bodiless = !hasBody(req);
    this.chunked = !this.bodiless && req.headers['content-length'] === undefined;
    this.timer = setTimeout(() => this.timedOut(ms), ms);
    // The client left (or the envelope answered): the upstream request has no one to answer.
    res.once('close', () => {
      if (this.finished) return;
      this.conn?.socket.destroy();
      this.finish('done');
    });
  }

  /** Sends the request head (and body) on a kept-alive connection, or on a new one when `fresh`. */
  send(fresh: boolean): void {
    const { req } = this;
    this.received = 0;
    this.sent = this.bodiless;
    this.parser = new ResponseParser(this, req.method === 'HEAD');
    const conn = (this.conn = this.proxy.connections.take(this.port, this, fresh));
    const headers = upstreamRequestHeaders(req, undefined);
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (req.headers.host === undefined) head += `Host: 127.0.0.1:${this.port}\r\n`;
    // Header values are Latin-1 strings as Node parsed them: written back byte for byte.
    conn.socket.write(`${head}\r\n`, 'latin1');
    if (!this.bodiless) this.forwardBody();
  }

  // ConnectionUser: the upstream connection's bytes and end.

  data(chunk: Buffer): void {
    this.received += chunk.length;
    this.parser!.push(chunk);
  }

  closed(err: NodeJS.ErrnoException | undefined): void {
    if (this.finished) return;
    if (this.received === 0) {
      // A kept-alive connection the upstream had just closed: the request never reached it.
      if (this.conn?.reused && this.bodiless && !this.retried) {
        this.retried = true;
        return this.send(true);
      }
      if (err?.code === 'ECONNREFUSED') return this.refused();
    }
    if (err && !this.parser!.started) return this.broken(502, `The entrypoint failed: ${err.code ?? err.message}`, { port: this.port });
    this.parser!.close();
  }

  // ResponseEvents: what the parser read.

  head(status: number, reason: string, headers: string[], connection: string | undefined): void {
    const { res } = this;
    const { maxResponseBytes } = this.proxy.limits;
    const length = headerValue(headers, 'content-length');
    if (length !== undefined && Number(length) > maxResponseBytes) {
      return this.broken(502, 'The entrypoint declared a response over the size limit', { limit: maxResponseBytes, declared: Number(length) });
    }
    try {
      res.writeHead(status, reason || undefined, clientResponseHeaders(headers, connection));
    } catch (err) {
      this.broken(502, 'The entrypoint sent a response head Node refused', { err });
    }
  }

  body(chunk: Buffer): void {
    if (this.finished) return;
    this.size += chunk.length;
    if (this.size > this.proxy.limits.maxResponseBytes) {
      return this.broken(502, 'The entrypoint sent a response over the size limit', { limit: this.proxy.limits.maxResponseBytes });
    }
    if (!this.res.write(chunk) && !this.draining) {
      this.draining = true;
      this.conn!.socket.pause();
      this.res.once('drain', () => {
        this.draining = false;
        this.conn?.socket.resume();
      });
    }
  }

  end(reusable: boolean): void {
    if (this.finished) return;
    const conn = this.conn!;
    this.conn = undefined;
    if (reusable && this.sent) this.proxy.connections.give(conn);
    else {
      conn.user = undefined;
      conn.socket.destroy();
      // The app answered before reading the whole body: the rest is read and dropped (the
      // envelope bounds it), so that the client is not left waiting to send it.
      if (!this.sent) this.req.resume();
    }
    this.res.end();
    this.finish('done');
  }

  error(message: string): void {
    this.broken(502, `The entrypoint ${message}`);
  }

  private forwardBody(): void {
    const { req } = this;
    const cap = req.appEngine?.requestLogId === undefined ? this.proxy.limits.maxRequestBytes : Infinity;
    let size = 0;
    const socket = () => this.conn?.socket;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        req.pause();
        this.conn?.socket.destroy();
        if (!this.res.headersSent) answerPlain(req, this.res, 413);
        return this.finish('done');
      }
      const out = socket();
      if (!out || out.destroyed) return;
      let more: boolean;
      if (this.chunked) {
        // One writev per chunk: size line, data, CRLF.
        out.cork();
        out.write(`${chunk.length.toString(16)}\r\n`);
        out.write(chunk);
        more = out.write('\r\n');
        out.uncork();
      } else more = out.write(chunk);
      if (!more) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    });
    req.once('end', () => {
      if (this.chunked) socket()?.write('0\r\n\r\n');
      this.sent = true;
    });
    // A body cut by the envelope (413, 408) or the client: the upstream request goes with it.
    req.once('error', () => socket()?.destroy());
    req.once('close', () => {
      if (!req.complete) socket()?.destroy();
    });
  }

  private refused(): void {
    if (this.bodiless && this.hooks.retry?.()) {
      this.finished = true;
      clearTimeout(this.timer);
      return;
    }
    this.broken(502, 'The entrypoint refused the connection', { port: this.port }, 'refused');
  }

  private timedOut(ms: number): void {
    if (this.finished) return;
    this.conn?.socket.destroy();
    if (this.res.headersSent) {
      requestLogger(this.req).error({ timeout: ms }, 'The entrypoint did not finish its response in time; connection cut');
      this.res.destroy();
      return this.finish('failed');
    }
    this.proxy.fail(this.req, this.res, 504, `The entrypoint did not answer within ${ms} ms`);
    this.finish('failed');
  }

  /** The exchange failed: 502 (or `status`) if nothing reached the client yet, else a cut connection, never a short response. */
  private broken(status: number, message: string, fields: Record<string, unknown> = {}, outcome: ProxyOutcome = 'failed'): void {
    if (this.finished) return;
    this.parser?.abort();
    this.conn?.socket.destroy();
    if (this.res.headersSent) {
      requestLogger(this.req).error(fields, `${message}; connection cut`);
      this.res.destroy();
    } else {
      this.proxy.fail(this.req, this.res, status, message, fields);
    }
    this.finish(outcome);
  }

  private finish(outcome: ProxyOutcome): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    if (this.conn) this.conn.user = undefined;
    this.hooks.end(outcome);
  }
}

/** The first value of header `name` (lower case) in a flat list. */
function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return headers[i + 1];
  return undefined;
}
