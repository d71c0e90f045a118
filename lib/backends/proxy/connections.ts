import { connect, type Socket } from 'node:net';

/** Who is using a connection now: its bytes and its end go there. */
export interface ConnectionUser {
  data(chunk: Buffer): void;
  /** The connection closed (with the error that closed it, if any). */
  closed(err: NodeJS.ErrnoException | undefined): void;
}

/**
 * One keep-alive connection to an upstream port. Its listeners are installed once and hand
 * events to the current `user`, so that reusing it costs no listener churn; bytes arriving
 * while nobody uses it mean the upstream is confused, and close it.
 */
export class UpstreamConnection {
  user: ConnectionUser | undefined;
  /** Whether it carried a response before (a reused connection may have been closed under us). */
  reused = false;
  private error: NodeJS.ErrnoException | undefined;

  constructor(
    readonly port: number,
    readonly socket: Socket,
    pool: UpstreamConnections,
  ) {
    socket.on('data', (chunk: Buffer) => (this.user ? this.user.data(chunk) : socket.destroy()));
    socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err));
    socket.on('timeout', () => socket.destroy());
    socket.on('close', () => {
      pool.forget(this);
      const user = this.user;
      this.user = undefined;
      user?.closed(this.error);
    });
  }
}

/** Idle keep-alive connections to loopback ports, most recently used first. */
export class UpstreamConnections {
  private readonly idle = new Map<number, UpstreamConnection[]>();

  /** `idleTimeout`: milliseconds an idle connection is kept (below the upstream's own keep-alive timeout). */
  constructor(private readonly idleTimeout: number) {}

  /** An idle connection to `port` (unless `fresh`), or a new one; `user` hears its events from now on. */
  take(port: number, user: ConnectionUser, fresh = false): UpstreamConnection {
    let conn = fresh ? undefined : this.idle.get(port)?.pop();
    if (conn) {
      conn.socket.setTimeout(0);
      conn.reused = true;
    } else {
      conn = new UpstreamConnection(port, connect({ host: '127.0.0.1', port, noDelay: true }), this);
    }
    conn.user = user;
    return conn;
  }

  /** Takes back a connection whose exchange is over and left it clean. */
  give(conn: UpstreamConnection): void {
    conn.user = undefined;
    if (conn.socket.destroyed) return;
    conn.socket.resume();
    conn.socket.setTimeout(this.idleTimeout);
    let list = this.idle.get(conn.port);
    if (!list) this.idle.set(conn.port, (list = []));
    list.push(conn);
  }

  /** Drops a closed connection from the idle lists. */
  forget(conn: UpstreamConnection): void {
    const list = this.idle.get(conn.port);
    const at = list?.indexOf(conn) ?? -1;
    if (at !== -1) list!.splice(at, 1);
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.idle.values()) for (const conn of list.splice(0)) conn.socket.destroy();
  }
}
