import net from 'node:net';

/** What an exchange hears from the target connection it holds. */
export interface UpstreamHandler {
  onUpstreamConnect(): void;
  /** `chunk` is only valid during the call (see READ_BUFFER). */
  onUpstreamData(chunk: Buffer): void;
  /** The target closed its sending side (FIN). */
  onUpstreamEnd(): void;
  /** The connection is gone; `neverConnected` when it failed before the TCP handshake finished. */
  onUpstreamClose(neverConnected: boolean, connectTimedOut: boolean): void;
  /** No byte either way for the idle timeout. */
  onUpstreamTimeout(): void;
  onUpstreamDrain(): void;
}

/**
 * ALB gives up on a target connection that is not established within 10 s and answers 504.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * An idle kept-alive connection is dropped after this long unless the target's Keep-Alive hint says
 * less. It stays below Node's default server keepAliveTimeout (5 s), so the pool rarely hands out
 * a connection the target is closing at that instant.
 */
export const POOL_IDLE_MS = 4_000;

/** Idle connections kept per target; more are closed when released. */
export const MAX_IDLE_PER_TARGET = 256;

/**
 * Every target connection reads into this one buffer (net's `onread`), which spares Node a fresh
 * 64 KiB allocation and a stream push per read. A handler sees a view of it that is valid only
 * until it returns: whatever must outlive the call (a partial head, bytes queued on a slow client)
 * is copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class UpstreamConnection {
  handler: UpstreamHandler | undefined;
  connected = false;
  /** Epoch ms after which an idle connection is not reused. */
  expiresAt = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  private connectTimedOut = false;

  /** Called by the socket's onread with the byte count now in READ_BUFFER. */
  onRead(n: number): boolean {
    const h = this.handler;
    // Bytes from a target nobody asked anything of break HTTP framing; the connection is unusable.
    if (h === undefined) {
      this.socket.destroy();
      return false;
    }
    h.onUpstreamData(READ_BUFFER.subarray(0, n));
    return true;
  }

  constructor(
    readonly socket: net.Socket,
    private readonly pool: UpstreamPool,
    connectTimeoutMs: number,
  ) {
    // With onread no 'data' is emitted, but 'end' still needs a flowing stream to be delivered.
    socket.resume();
    socket.on('connect', () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
      this.handler?.onUpstreamConnect();
    });
    socket.on('end', () => {
      const h = this.handler;
      if (h === undefined) socket.destroy();
      else h.onUpstreamEnd();
    });
    socket.on('timeout', () => {
      const h = this.handler;
      if (h === undefined) socket.destroy();
      else h.onUpstreamTimeout();
    });
    socket.on('drain', () => this.handler?.onUpstreamDrain());
    socket.on('error', () => {
      // 'close' follows and carries the outcome.
    });
    socket.on('close', () => {
      clearTimeout(this.connectTimer);
      this.pool.forget(this);
      const h = this.handler;
      this.handler = undefined;
      h?.onUpstreamClose(!this.connected, this.connectTimedOut);
    });
    this.connectTimer = setTimeout(() => {
      this.connectTimedOut = true;
      socket.destroy();
    }, connectTimeoutMs);
    this.connectTimer.unref();
  }
}

/** Kept-alive connections to one target, newest first. */
export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private open = true;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** The load balancer's idle timeout: a target silent this long mid-request gets a 504. */
    private readonly idleTimeoutMs: number,
  ) {}

  /** A connection for one exchange: an idle one when there is a live one, else a new one. */
  acquire(handler: UpstreamHandler, now: number): UpstreamConnection {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) break;
      if (c.socket.destroyed || !c.socket.writable || now >= c.expiresAt) {
        c.socket.destroy();
        continue;
      }
      c.handler = handler;
      return c;
    }
    let c: UpstreamConnection | undefined;
    const socket = net.connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number) => c!.onRead(n) },
    });
    socket.setTimeout(this.idleTimeoutMs);
    c = new UpstreamConnection(socket, this, Math.min(CONNECT_TIMEOUT_MS, this.idleTimeoutMs));
    c.handler = handler;
    this.all.add(c);
    return c;
  }

  /** The exchange finished cleanly and the target keeps the connection open. */
  release(c: UpstreamConnection, now: number, keepAliveHintMs: number): void {
    c.handler = undefined;
    if (!this.open || this.idle.length >= MAX_IDLE_PER_TARGET || c.socket.destroyed) {
      c.socket.destroy();
      return;
    }
    // Node's own agent does the same: expire a second before the target's announced timeout.
    const ttl = keepAliveHintMs > 0 ? Math.min(POOL_IDLE_MS, keepAliveHintMs - 1000) : POOL_IDLE_MS;
    if (ttl <= 0) {
      c.socket.destroy();
      return;
    }
    c.expiresAt = now + ttl;
    this.idle.push(c);
  }

  /** The exchange failed or left the connection in an unknown state. */
  discard(c: UpstreamConnection): void {
    c.handler = undefined;
    c.socket.destroy();
  }

  forget(c: UpstreamConnection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes idle connections past their time; busy ones are left alone. */
  sweep(now: number): void {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const c = this.idle[i]!;
      if (now >= c.expiresAt) c.socket.destroy();
    }
  }

  /** No new exchanges (the target is draining): idle connections go now, busy ones when done. */
  stop(): void {
    this.open = false;
    for (const c of [...this.idle]) c.socket.destroy();
  }

  /** Cuts every connection, busy ones included. */
  destroyAll(): void {
    this.open = false;
    for (const c of [...this.all]) c.socket.destroy();
  }
}
