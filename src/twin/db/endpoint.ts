/**
 * A database endpoint of the twin: a stable 127.0.0.1 port that leads to the current primary (the
 * writer endpoint) or spreads over the readable nodes (the reader endpoint of a Multi-AZ DB
 * cluster), as RDS endpoints do through DNS. The controller retargets it on failover: connections
 * to a target that left are cut at once, new ones reach the new target, and while there is none
 * (a failover in progress) new connections wait up to holdMs. It reads only the client's first
 * message; after that, bytes pass both ways untouched.
 * @see endpoint-connection.ts for the life of one client.
 */
import net from 'node:net';
import { EndpointConnection, type ConnectionHost } from './endpoint-connection.ts';
import { dbEndpointError } from './endpoint-errors.ts';
import { resolveEndpointOptions, type DbEndpointOptions, type ResolvedEndpointOptions } from './endpoint-options.ts';
import { errorResponse, SQLSTATE } from './endpoint-protocol.ts';
import { describeTargets, planRetarget, RoundRobin, targetProblems, type EndpointTarget } from './endpoint-targets.ts';

export type { DbEndpointOptions } from './endpoint-options.ts';
export type { EndpointTarget } from './endpoint-targets.ts';

/** Counters since start. */
export interface DbEndpointStats {
  /** Client connections accepted by the listener, including those turned away. */
  readonly accepted: number;
  /** Client connections open now (waiting, connecting or piped). */
  readonly active: number;
  /** Connections cut because their target left the list. */
  readonly cut: number;
  /** Clients whose first message was not a PostgreSQL startup, SSL, GSS or cancel request. */
  readonly malformed: number;
  /** Clients that did not send a complete first message within startupTimeoutMs. */
  readonly timedOut: number;
  /** Clients turned away: over maxConnections, no target within holdMs, or the target could not be reached. */
  readonly refused: number;
}

/** How long a connection turned away at the limit may linger before it is destroyed. */
const LINGER_MS = 1_000;

export class DbEndpoint {
  /** The endpoint's name, e.g. `writer`. */
  readonly name: string;
  readonly #o: ResolvedEndpointOptions;
  readonly #server: net.Server;
  #port = 0;
  #targets: readonly EndpointTarget[] = [];
  readonly #rr = new RoundRobin();
  readonly #connections = new Set<EndpointConnection>();
  /** Sockets refused at the connection limit, until they close. */
  readonly #turnedAway = new Set<net.Socket>();
  readonly #waiters = new Set<() => void>();
  readonly #counts = { accepted: 0, cut: 0, malformed: 0, timedOut: 0, refused: 0 };
  readonly #host: ConnectionHost;
  #closing: Promise<void> | undefined;

  private constructor(o: ResolvedEndpointOptions) {
    this.#o = o;
    this.name = o.name;
    this.#server = net.createServer({ allowHalfOpen: true }, (s) => this.#accept(s));
    // After listening, a server error (e.g. EMFILE on accept) must not take the process down.
    this.#server.on('error', () => undefined);
    this.#host = {
      endpoint: o.name,
      holdMs: o.holdMs,
      startupTimeoutMs: o.startupTimeoutMs,
      targets: () => this.#targets,
      pick: () => this.#rr.pick(this.#targets),
      onTargets: (fn) => {
        this.#waiters.add(fn);
        return () => this.#waiters.delete(fn);
      },
      count: (what) => void this.#counts[what]++,
      released: (c) => this.#connections.delete(c),
    };
  }

  /**
   * Listens on 127.0.0.1 and resolves once connections are accepted. It leads nowhere until
   * setTargets() is called. Throws HASTACK_DB_ENDPOINT_INVALID_OPTIONS or HASTACK_DB_ENDPOINT_LISTEN_FAILED.
   */
  static async start(options: DbEndpointOptions): Promise<DbEndpoint> {
    const e = new DbEndpoint(resolveEndpointOptions(options));
    await e.#listen();
    return e;
  }

  async #listen(): Promise<void> {
    const asked = this.#o.port;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) =>
        reject(
          dbEndpointError(
            'HASTACK_DB_ENDPOINT_LISTEN_FAILED',
            `the ${this.name} database endpoint cannot listen on 127.0.0.1:${asked}: ${err.code === 'EADDRINUSE' ? `port ${asked} is in use` : (err.code ?? err.message)}; ` +
              'free it or use port 0 to pick a free one',
            { cause: err, details: { endpoint: this.name, port: asked } },
          ),
        );
      this.#server.once('error', failed);
      this.#server.listen({ port: asked, host: '127.0.0.1', exclusive: true }, () => {
        this.#server.off('error', failed);
        resolve();
      });
    });
    this.#port = (this.#server.address() as net.AddressInfo).port;
    this.#emit('endpoint-started', `the ${this.name} database endpoint listens on 127.0.0.1:${this.#port}, leading nowhere yet`, { port: this.#port });
  }

  /** The port on 127.0.0.1 clients connect to. */
  get port(): number {
    return this.#port;
  }

  /**
   * Where the endpoint leads: one target for a writer, several (round robin) for a reader.
   * Connections to a target that left the list are cut at once, both sides. `[]` leads nowhere:
   * new connections wait up to holdMs for a target. The same list again changes nothing.
   * Throws HASTACK_DB_ENDPOINT_INVALID_TARGET for an empty name, a bad port or a repeated target.
   */
  setTargets(targets: readonly { name: string; port: number }[]): void {
    const problems = targetProblems(targets);
    if (problems.length > 0) {
      throw dbEndpointError('HASTACK_DB_ENDPOINT_INVALID_TARGET', `the ${this.name} database endpoint: ${problems.join('; ')}`, {
        details: { endpoint: this.name, problems },
      });
    }
    const next = targets.map((t) => ({ name: t.name, port: t.port }));
    const before = this.#targets;
    const plan = planRetarget(before, next);
    if (!plan.changed) return;
    this.#targets = next;
    if (this.#closing !== undefined) return;
    let cut = 0;
    if (plan.removed.size > 0) {
      for (const c of [...this.#connections]) {
        const key = c.targetKey;
        if (key === undefined || !plan.removed.has(key)) continue;
        c.destroy();
        cut++;
      }
      this.#counts.cut += cut;
    }
    const waiting = this.#waiters.size;
    if (next.length > 0) {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const w of waiters) w();
    }
    const lead = next.length === 0 ? `nothing (new connections wait up to ${this.#o.holdMs} ms for a target)` : describeTargets(next);
    this.#emit(
      'endpoint-retargeted',
      `the ${this.name} database endpoint leads to ${lead} (before: ${describeTargets(before)}); cut ${cut} connection(s)` +
        (next.length > 0 && waiting > 0 ? `, released ${waiting} waiting` : ''),
      { from: before, to: next, cut, released: next.length > 0 ? waiting : 0 },
    );
  }

  /** The targets set last. */
  targets(): readonly { name: string; port: number }[] {
    return this.#targets;
  }

  stats(): DbEndpointStats {
    return { ...this.#counts, active: this.#connections.size };
  }

  /** Stops listening and ends every connection, both sides. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      const open = this.#connections.size;
      for (const c of [...this.#connections]) c.destroy();
      for (const s of this.#turnedAway) s.destroy();
      this.#waiters.clear();
      await closed;
      this.#emit('endpoint-closed', `the ${this.name} database endpoint stopped listening and ended ${open} connection(s)`, { ended: open });
    })();
    return this.#closing;
  }

  #accept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    this.#counts.accepted++;
    if (this.#connections.size >= this.#o.maxConnections) {
      this.#counts.refused++;
      this.#turnAway(
        socket,
        `too many connections: the ${this.name} database endpoint has ${this.#connections.size} open, at most ${this.#o.maxConnections} (maxConnections)`,
      );
      return;
    }
    this.#connections.add(new EndpointConnection(socket, this.#host));
  }

  #turnAway(socket: net.Socket, message: string): void {
    this.#turnedAway.add(socket);
    socket.once('close', () => this.#turnedAway.delete(socket));
    socket.resume();
    socket.end(errorResponse(SQLSTATE.tooManyConnections, message));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  #emit(type: string, message: string, data: Record<string, unknown>): void {
    this.#o.onEvent?.({ source: 'db', type, message, data: { endpoint: this.name, ...data } });
  }
}
