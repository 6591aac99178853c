/**
 * Shared by the guestbook's tests: a real PostgreSQL node with the app's database, the app started
 * as its own process (as the twin and EC2 start it), and small HTTP and polling helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { findPostgresBinaries, PostgresNode } from '../../src/twin/db/index.ts';

export const APP_DIR = fileURLToPath(new URL('../../examples/guestbook/', import.meta.url));

export interface RunningApp {
  readonly base: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Everything the app wrote to stdout and stderr so far. */
  output(): string;
  /** Kills the app (SIGKILL) unless it has exited, and waits for it. */
  kill(): Promise<void>;
}

/** Starts the guestbook on a free port and resolves once it logs the URL it listens on. */
export function startApp(env: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: APP_DIR,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`app did not start within 20 s:\n${out}`));
    }, 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ base: m[1]!, child, exited, output: () => out, kill });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} while starting:\n${out}`));
    });
  });
}

/** Polls `fn` every 100 ms until it returns a value (errors count as "not yet"). */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const postJson = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/entries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

export interface GuestbookDatabase {
  readonly node: PostgresNode;
  /** The app role's connection string (role and database `guestbook`). */
  readonly databaseUrl: string;
  /** Runs one statement as the superuser in the app's database. */
  superuser<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the node and deletes every file it had. */
  remove(): Promise<void>;
}

/** A PostgreSQL node in a fresh temporary folder, with the app's database `guestbook`. */
export async function startGuestbookDatabase(): Promise<GuestbookDatabase> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hastack-guestbook-test-'));
  // The server runs as the unprivileged `postgres` user when we are root: it must pass through.
  await chmod(root, 0o711);
  const node = new PostgresNode({ name: 'db-a', zone: 'local-1a', dataDir: path.join(root, 'db-a', 'data'), binaries: await findPostgresBinaries() });
  const remove = async () => {
    await node.remove();
    await rm(root, { recursive: true, force: true });
  };
  try {
    await node.init();
    await node.start();
    const { connectionString } = await node.createDatabase('guestbook');
    return {
      node,
      databaseUrl: connectionString,
      superuser: async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
        const c = new pg.Client({ ...node.clientConfig('guestbook'), connectionTimeoutMillis: 5_000 });
        await c.connect();
        try {
          return (await c.query<R>(sql, params)).rows;
        } finally {
          await c.end();
        }
      },
      remove,
    };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** Cuts every session of the app, as a failover cuts every connection to the database endpoint. */
export const CUT_APP_SESSIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'guestbook%'";
