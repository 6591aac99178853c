/**
 * One client of a database endpoint, from accept to close: it reads the client's first message
 * (and nothing more) within the startup timeout, waits for a target while none is set, connects to
 * the one it is given, then pipes bytes both ways untouched. Every failure before the pipe is
 * answered with a PostgreSQL ErrorResponse; socket errors end the connection, never the process.
 */
import net from 'node:net';
import { describeTarget, targetKey, type EndpointTarget } from './endpoint-targets.ts';
import { errorResponse, inspectFirstMessage, SQLSTATE } from './endpoint-protocol.ts';

/** What a connection needs from its endpoint. */
export interface ConnectionHost {
  /** The endpoint's name, e.g. `writer`. */
  readonly endpoint: string;
  readonly holdMs: number;
  readonly startupTimeoutMs: number;
  targets(): readonly EndpointTarget[];
  /** The target for the next connection (round robin); undefined while none is set. */
  pick(): EndpointTarget | undefined;
  /** Calls `fn` once, when targets are set next; returns a function that cancels the call. */
  onTargets(fn: () => void): () => void;
  count(what: 'malformed' | 'timedOut' | 'refused'): void;
  /** The connection has closed on both sides. */
  released(c: EndpointConnection): void;
}

/** Bound on connecting to a target; on loopback a connect succeeds or is refused at once. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long a socket ended with an error message (or a finished cancel) may linger before it is destroyed. */
const LINGER_MS = 1_000;

type Phase = 'startup' | 'holding' | 'connecting' | 'piped' | 'closing' | 'closed';

export class EndpointConnection {
  readonly #client: net.Socket;
  readonly #host: ConnectionHost;
  #phase: Phase = 'startup';
  #received: Buffer[] = [];
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopWaiting: (() => void) | undefined;
  #upstream: net.Socket | undefined;
  #target: EndpointTarget | undefined;
  readonly #cancels = new Set<net.Socket>();
  #released = false;
  readonly #onData = (chunk: Buffer) => this.#read(chunk);

  constructor(client: net.Socket, host: ConnectionHost) {
    this.#client = client;
    this.#host = host;
    client.setNoDelay(true);
    client.on('error', () => undefined);
    client.once('close', (hadError) => this.#clientClosed(hadError));
    client.on('data', this.#onData);
    this.#timer = setTimeout(() => this.#startupTimedOut(), host.startupTimeoutMs);
  }

  /** The target this connection leads to (or is connecting to), as targetKey(); undefined before. */
  get targetKey(): string | undefined {
    return this.#target === undefined ? undefined : targetKey(this.#target);
  }

  /** Ends both sides at once, as a failover does to connections of the old primary. */
  destroy(): void {
    this.#phase = 'closing';
    this.#clearTimer();
    this.#stopWaiting?.();
    this.#upstream?.destroy();
    for (const s of this.#cancels) s.destroy();
    this.#client.destroy();
  }

  #read(chunk: Buffer): void {
    if (this.#phase !== 'startup') return;
    this.#received.push(chunk);
    this.#size += chunk.length;
    const head = this.#received.length === 1 ? chunk : Buffer.concat(this.#received, this.#size);
    this.#received = [head];
    const m = inspectFirstMessage(head);
    if (m.kind === 'incomplete') return;
    if (m.kind === 'malformed') {
      this.#host.count('malformed');
      this.#reject(SQLSTATE.protocolViolation, `${m.problem} (${this.#host.endpoint} endpoint)`);
      return;
    }
    // The first message is complete: stop reading until the pipe takes over, so nothing more is buffered here.
    this.#clearTimer();
    this.#client.off('data', this.#onData);
    this.#client.pause();
    this.#received = [];
    if (m.kind === 'cancel') this.#withTargets(() => this.#cancel(head.subarray(0, m.length)));
    else this.#withTargets(() => this.#connect(head));
  }

  /** Runs `then` once targets exist, waiting up to holdMs while none is set. */
  #withTargets(then: () => void): void {
    if (this.#host.targets().length > 0) return then();
    this.#phase = 'holding';
    this.#stopWaiting = this.#host.onTargets(() => {
      this.#stopWaiting = undefined;
      this.#clearTimer();
      if (this.#phase === 'holding') then();
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#stopWaiting?.();
      this.#stopWaiting = undefined;
      if (this.#phase !== 'holding') return;
      this.#host.count('refused');
      this.#reject(
        SQLSTATE.connectionFailure,
        `no primary available (failover in progress): the ${this.#host.endpoint} endpoint had no target for ${this.#host.holdMs} ms`,
      );
    }, this.#host.holdMs);
  }

  #connect(head: Buffer): void {
    const target = this.#host.pick();
    if (target === undefined) return this.#withTargets(() => this.#connect(head));
    this.#phase = 'connecting';
    this.#target = target;
    const up = net.connect({ host: '127.0.0.1', port: target.port, allowHalfOpen: true });
    this.#upstream = up;
    up.setNoDelay(true);
    up.setTimeout(CONNECT_TIMEOUT_MS);
    const fail = (why: string) => {
      if (this.#phase !== 'connecting') return;
      up.destroy();
      this.#host.count('refused');
      this.#reject(SQLSTATE.connectionFailure, `the ${this.#host.endpoint} endpoint could not connect to ${describeTarget(target)}: ${why}`);
    };
    up.once('timeout', () => fail(`no answer within ${CONNECT_TIMEOUT_MS} ms`));
    up.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    up.once('connect', () => {
      if (this.#phase !== 'connecting') return up.destroy();
      up.setTimeout(0);
      this.#phase = 'piped';
      up.write(head);
      this.#client.pipe(up);
      up.pipe(this.#client);
    });
    up.once('close', () => this.#upstreamClosed());
  }

  /** A CancelRequest goes to every target: only the one holding that backend acts on it. */
  #cancel(request: Buffer): void {
    this.#phase = 'closing';
    const targets = this.#host.targets();
    let open = targets.length;
    if (open === 0) return this.#endClient();
    const oneDone = () => {
      if (--open === 0) this.#endClient();
    };
    for (const t of targets) {
      const s = net.connect({ host: '127.0.0.1', port: t.port });
      this.#cancels.add(s);
      s.setTimeout(CONNECT_TIMEOUT_MS, () => s.destroy());
      s.on('error', () => undefined);
      s.once('connect', () => s.end(request));
      // Ending the client only once the servers closed tells it the request was delivered, as a server does.
      s.once('close', () => {
        this.#cancels.delete(s);
        oneDone();
        this.#releaseWhenDone();
      });
    }
  }

  #startupTimedOut(): void {
    this.#timer = undefined;
    if (this.#phase !== 'startup') return;
    this.#host.count('timedOut');
    this.#reject(
      SQLSTATE.protocolViolation,
      `timeout: the ${this.#host.endpoint} endpoint received ${this.#size} byte(s) of the first message in ${this.#host.startupTimeoutMs} ms; ` +
        `expected a complete startup message within startupTimeoutMs (${this.#host.startupTimeoutMs} ms)`,
    );
  }

  /** Answers with an ErrorResponse and closes, as a server refusing a connection does. */
  #reject(sqlstate: string, message: string): void {
    this.#phase = 'closing';
    this.#clearTimer();
    this.#stopWaiting?.();
    this.#client.off('data', this.#onData);
    this.#received = [];
    if (this.#client.destroyed) return;
    this.#client.write(errorResponse(sqlstate, message));
    this.#endClient();
  }

  /** Ends the client gracefully (flushing what is queued), reading and dropping whatever it still sends. */
  #endClient(): void {
    const c = this.#client;
    if (c.destroyed) return;
    c.resume();
    c.end();
    setTimeout(() => c.destroy(), LINGER_MS).unref();
  }

  #clientClosed(hadError: boolean): void {
    this.#phase = 'closed';
    this.#clearTimer();
    this.#stopWaiting?.();
    const up = this.#upstream;
    if (up !== undefined && !up.destroyed) {
      if (hadError || up.connecting) up.destroy();
      else {
        // Whatever the client sent last (a Terminate) still reaches the server; then it goes.
        up.end();
        setTimeout(() => up.destroy(), LINGER_MS).unref();
      }
    }
    for (const s of this.#cancels) s.destroy();
    this.#releaseWhenDone();
  }

  #upstreamClosed(): void {
    // The server's last words (an ErrorResponse before it closes) still reach the client, even
    // when the close was abrupt: the client's side is sound. A cut destroys both sides itself.
    if (this.#phase === 'piped') this.#endClient();
    this.#releaseWhenDone();
  }

  /** Tells the endpoint once the client, the upstream and any cancel connections have all closed. */
  #releaseWhenDone(): void {
    if (this.#released || !this.#client.closed) return;
    if (this.#upstream !== undefined && !this.#upstream.closed) return;
    if (this.#cancels.size > 0) return;
    this.#released = true;
    this.#host.released(this);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
