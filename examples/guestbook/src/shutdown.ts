/**
 * Graceful shutdown on SIGTERM (what the twin, systemd and an Auto Scaling group's termination
 * send) and SIGINT: stop accepting connections, answer 503 on /healthz and /readyz, let in-flight
 * requests finish, close idle keep-alive connections, close the pool, exit 0. A hard deadline
 * (SHUTDOWN_TIMEOUT_SECONDS) ends it with exit 1 if requests are still running by then.
 */
import type { Server, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { AppState } from './app.ts';
import { log } from './log.ts';

export interface ShutdownDeps {
  readonly server: Server;
  readonly pool: pg.Pool;
  readonly state: AppState;
  readonly timeoutMs: number;
  /** Called just before exiting, e.g. to stop background retries. */
  readonly beforeExit?: () => void;
  /** Responses being served; those not yet begun are told to close their connection. */
  readonly active: ReadonlySet<ServerResponse>;
}

export function installShutdown(d: ShutdownDeps): void {
  const begin = (signal: NodeJS.Signals): void => {
    if (d.state.shuttingDown) {
      log.info(`${signal} received again; still shutting down`);
      return;
    }
    d.state.shuttingDown = true;
    log.info(`${signal} received: shutting down, ${d.active.size} request(s) in flight, deadline ${d.timeoutMs / 1000} s`);
    const deadline = setTimeout(() => {
      log.warn(`shutdown deadline of ${d.timeoutMs / 1000} s passed with ${d.active.size} request(s) in flight; exiting 1`);
      process.exit(1);
    }, d.timeoutMs);
    d.server.close(() => {
      d.beforeExit?.();
      d.pool
        .end()
        .catch((e: unknown) => log.warn(`closing the database pool failed: ${(e as Error).message}`))
        .finally(() => {
          clearTimeout(deadline);
          log.info('stopped');
          process.exit(0);
        });
    });
    // server.close() waits for every connection to end. Idle keep-alive ones are closed now; busy
    // ones close after their response, either through `Connection: close` or, for responses
    // already under way, as soon as they turn idle.
    for (const res of d.active) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      res.once('finish', () => setImmediate(() => d.server.closeIdleConnections()));
    }
    d.server.closeIdleConnections();
  };
  process.on('SIGTERM', begin);
  process.on('SIGINT', begin);
}
