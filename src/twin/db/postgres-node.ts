/**
 * One PostgreSQL server of the twin: a zone, a data folder, a port and one `postgres` process that
 * this object spawns directly (not through pg_ctl) in its own process group, so the supervisor
 * holds its pid, sees it exit, and can stop, kill, pause or sweep it as a unit. A Multi-AZ pair is
 * two of these, one started as a standby.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, lstat, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { EmitEvent } from '../events.ts';
import { createAppDatabase, checkAppDatabaseInput, type AppDatabase } from './app-database.ts';
import { dbError } from './errors.ts';
import { binPath, type PostgresBinaries } from './find-binaries.ts';
import { freePort } from '../../util/free-port.ts';
import { logTail } from '../../util/log-tail.ts';
import { processesIn } from '../../util/processes-in.ts';
import { plannedPaths, resolvePaths, type NodePaths } from './node-layout.ts';
import { ensureBinariesReachable } from './reachable-binaries.ts';
import { resolveRunAsUser, type RunAsUser } from './run-as.ts';
import { generatePassword } from './scram.ts';

export type ServerSetting = string | number | boolean;

export interface PostgresNodeOptions {
  /** Node name, unique in the region, e.g. `db-a`. */
  readonly name: string;
  /** Twin zone the node belongs to, e.g. `local-1a`. */
  readonly zone: string;
  /** PGDATA. Its parent folder also holds the node's log, password file and socket folder. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one at the first start and keeps it afterwards. @default 0 */
  readonly port?: number;
  readonly binaries: PostgresBinaries;
  readonly onEvent?: EmitEvent;
  /** Server settings passed as `-c name=value`, over the defaults below. @default {} */
  readonly settings?: Readonly<Record<string, ServerSetting>>;
  /** Superuser password written at init. @default - 32 random bytes, base64url */
  readonly superuserPassword?: string;
  /** Milliseconds start() waits for the server to accept connections. @default 30000 */
  readonly startTimeoutMs?: number;
  /**
   * Told of each server process group as it is spawned and once it is swept, so a reaper can end
   * it if the supervisor dies (the server runs detached and would outlive it).
   */
  readonly registry?: { add(pgid: number): void; remove(pgid: number): void };
}

export type StopMode = 'fast' | 'immediate';

export interface StopOptions {
  /** `fast` (SIGINT): roll back sessions and checkpoint. `immediate` (SIGQUIT): crash-like, recovery at next start. @default 'fast' */
  readonly mode?: StopMode;
  /** Milliseconds before escalating to SIGKILL of the whole process group. @default 10000 */
  readonly timeoutMs?: number;
}

export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Durable (fsync stays on) but small, and ready for streaming replication: the next step turns a
 * node into a primary with a standby without a restart.
 */
export const DEFAULT_SETTINGS: Readonly<Record<string, ServerSetting>> = {
  listen_addresses: '127.0.0.1',
  fsync: true,
  synchronous_commit: 'on',
  shared_buffers: '32MB',
  max_connections: 100,
  wal_level: 'replica',
  max_wal_senders: 10,
  max_replication_slots: 10,
  hot_standby: true,
  unix_socket_permissions: '0700',
  log_line_prefix: '%m [%p] ',
};

const SUPERUSER = 'postgres';
const POLL_MS = 50;

export class PostgresNode {
  readonly name: string;
  readonly zone: string;
  readonly superuser = SUPERUSER;
  readonly #opts: PostgresNodeOptions;
  #port: number;
  #password: string | undefined;
  #prepared: Promise<{ runAs: RunAsUser | undefined; binaries: PostgresBinaries; paths: NodePaths }> | undefined;
  #paths: NodePaths;
  #child: ChildProcess | undefined;
  #exited: Promise<NodeExit> | undefined;
  #stopping = false;
  #stopped: ChildProcess | undefined;
  #stopInFlight: Promise<void> | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: PostgresNodeOptions) {
    this.#opts = options;
    this.name = options.name;
    this.zone = options.zone;
    this.#port = options.port ?? 0;
    this.#password = options.superuserPassword;
    this.#paths = plannedPaths(options.dataDir, options.name);
  }

  /** The TCP port; 0 until the first start when it was asked to pick one. */
  get port(): number {
    return this.#port;
  }

  /** Pid of the postmaster while it runs. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Where the node's files are; final once init() or start() has run (they may be relocated when root). */
  get paths(): NodePaths {
    return this.#paths;
  }

  /** Creates the data folder with initdb, unless it exists already. */
  async init(): Promise<'created' | 'existing'> {
    const { runAs, binaries, paths } = await this.#prepare();
    if (await this.#initializedMajor(paths, binaries)) return 'existing';
    const t0 = Date.now();
    await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
    await chmod(paths.dataDir, 0o700);
    const password = this.#password ?? generatePassword();
    await writeFile(paths.passwordFile, password + '\n', { mode: 0o600 });
    await chmod(paths.passwordFile, 0o600);
    if (runAs !== undefined) {
      await chown(paths.dataDir, runAs.uid, runAs.gid);
      await chown(paths.passwordFile, runAs.uid, runAs.gid);
    }
    const args = [
      `--pgdata=${paths.dataDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${paths.passwordFile}`,
      // Password (SCRAM) for local and host connections alike: the supervisor connects as another
      // OS user than the server runs as, so peer authentication would not fit.
      '--auth=scram-sha-256',
      '--locale=C',
      '--encoding=UTF8',
      // pg_rewind, which lets a failed primary rejoin as a standby, needs checksums or wal_log_hints.
      '--data-checksums',
    ];
    const r = await runToEnd(binPath(binaries, 'initdb'), args, { cwd: path.dirname(paths.dataDir), runAs });
    if (r.code !== 0) {
      throw dbError(
        'HASTACK_DB_INIT_FAILED',
        `initdb for ${this.name} failed (${r.signal ?? `exit ${r.code}`}): ${r.output.trim().split('\n').slice(-10).join('\n')}`,
        { details: { node: this.name, dataDir: paths.dataDir } },
      );
    }
    this.#password = password;
    const ms = Date.now() - t0;
    this.#emit('node-initialized', `initialized ${this.name} (${this.zone}) in ${ms} ms with PostgreSQL ${binaries.version}`, { dataDir: paths.dataDir, ms });
    return 'created';
  }

  /**
   * Makes this node the owner of a data folder cloned from another node (see takeBaseBackup): the
   * clone carries the source's role catalog, so the node signs in with the source's superuser
   * password, which is written to its password file for later starts. Call it before or after the
   * clone; it resolves the node's final paths, whose `dataDir` is where the clone belongs.
   */
  async adoptClone(superuserPassword: string): Promise<NodePaths> {
    const { runAs, paths } = await this.#prepare();
    await writeFile(paths.passwordFile, superuserPassword + '\n', { mode: 0o600 });
    await chmod(paths.passwordFile, 0o600);
    if (runAs !== undefined) await chown(paths.passwordFile, runAs.uid, runAs.gid);
    this.#password = superuserPassword;
    return paths;
  }

  /** Starts the server and resolves once it accepts connections. Does nothing while it runs. */
  start(): Promise<void> {
    if (this.#starting !== undefined) return this.#starting;
    if (this.running) return Promise.resolve();
    this.#starting = this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { runAs, binaries, paths } = await this.#prepare();
    const t0 = Date.now();
    if (!(await this.#initializedMajor(paths, binaries))) {
      throw dbError('HASTACK_DB_NOT_INITIALIZED', `${this.name} has no data folder at ${paths.dataDir}; call init() first`, {
        details: { node: this.name, dataDir: paths.dataDir },
      });
    }
    this.#password ??= (await readFile(paths.passwordFile, 'utf8').catch(() => '')).trim() || undefined;
    if (this.#password === undefined) {
      throw dbError('HASTACK_DB_NOT_INITIALIZED', `${this.name} has a data folder but no password file at ${paths.passwordFile}`, {
        details: { node: this.name, passwordFile: paths.passwordFile },
      });
    }
    // A postmaster that died on its own may have left backends holding its shared memory, which
    // would make the new one refuse to start.
    const previous = this.#child;
    if (previous?.pid !== undefined && this.#stopped !== previous) {
      await sweepGroup(previous.pid, paths.dataDir);
      this.#stopped = previous;
      this.#opts.registry?.remove(previous.pid);
    }
    if (this.#port === 0) this.#port = await freePort();
    const port = this.#port;
    await assertPortFree(port, this.name);

    await ensurePrivateFolder(paths.socketDir, runAs);
    const log = await open(paths.logFile, 'a', 0o640);
    const logStart = (await log.stat()).size;
    if (runAs !== undefined) await log.chown(runAs.uid, runAs.gid);

    const args = ['-D', paths.dataDir, '-p', String(port), '-k', paths.socketDir];
    for (const [k, v] of Object.entries({ ...DEFAULT_SETTINGS, ...this.#opts.settings })) {
      args.push('-c', `${k}=${v === true ? 'on' : v === false ? 'off' : String(v)}`);
    }
    let child: ChildProcess;
    try {
      child = spawn(binPath(binaries, 'postgres'), args, {
        cwd: path.dirname(paths.dataDir),
        env: childEnv(),
        // Its own process group: signals from a terminal's Ctrl-C do not reach it, and stop() can
        // sweep the backends of a postmaster that was SIGKILLed.
        detached: true,
        // The log goes straight to a file, so the server keeps logging if the supervisor dies.
        stdio: ['ignore', log.fd, log.fd],
        ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
      });
    } finally {
      await log.close();
    }
    this.#child = child;
    this.#stopping = false;
    if (child.pid !== undefined) this.#opts.registry?.add(child.pid);
    this.#exited = new Promise<NodeExit>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal });
      child.once('exit', done);
      child.once('error', () => done(child.exitCode ?? 1, child.signalCode));
    });
    void this.#exited.then((exit) => {
      if (this.#stopping || this.#child !== child) return;
      this.#emit('node-exited', `${this.name} (${this.zone}) exited unexpectedly (${describeExit(exit)})`, { ...exit, pid: child.pid });
    });

    await this.#waitReady(child, port, paths, logStart, t0);
    const ms = Date.now() - t0;
    this.#emit('node-started', `started ${this.name} (${this.zone}) on 127.0.0.1:${port}, pid ${child.pid}, in ${ms} ms`, { port, pid: child.pid, ms });
  }

  async #waitReady(child: ChildProcess, port: number, paths: NodePaths, logStart: number, t0: number): Promise<void> {
    const deadline = t0 + (this.#opts.startTimeoutMs ?? 30_000);
    let last: unknown;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        const exit = await this.#exited!;
        throw classifyStartFailure(this.name, port, exit, await logTail(paths.logFile, 20, logStart));
      }
      try {
        const c = new pg.Client({ ...this.clientConfig(), connectionTimeoutMillis: 1_000 });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return;
        } finally {
          await c.end().catch(() => undefined);
        }
      } catch (e) {
        last = e;
        if ((e as { code?: string }).code === '28P01') {
          await this.stop({ mode: 'immediate' });
          throw dbError('HASTACK_DB_START_FAILED', `${this.name} rejected the superuser password from ${paths.passwordFile}`, {
            cause: e,
            details: { node: this.name },
          });
        }
      }
      if (Date.now() >= deadline) {
        const tail = await logTail(paths.logFile, 20, logStart);
        await this.stop({ mode: 'immediate' });
        throw dbError(
          'HASTACK_DB_START_TIMEOUT',
          `${this.name} did not accept connections on 127.0.0.1:${port} within ${deadline - t0} ms ` +
            `(last error: ${(last as Error | undefined)?.message ?? 'none'}); log tail:\n${tail}`,
          { cause: last, details: { node: this.name, port, logFile: paths.logFile } },
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * Stops the server: SIGINT (fast) or SIGQUIT (immediate), then SIGKILL to the whole process group
   * after the timeout. Always sweeps the group, so backends orphaned by a SIGKILLed postmaster do
   * not hold its shared memory and block the next start. Never hangs on a process already gone.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopInFlight ??= this.#stop(options).finally(() => {
      this.#stopInFlight = undefined;
    });
    return this.#stopInFlight;
  }

  async #stop(options: StopOptions): Promise<void> {
    const mode = options.mode ?? 'fast';
    const child = this.#child;
    if (child === undefined || child.pid === undefined || this.#stopped === child) return;
    const pid = child.pid;
    const t0 = Date.now();
    this.#stopping = true;
    let escalated = false;
    if (this.running) {
      signal(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      // A paused server (SIGSTOP of its group, a frozen-zone fault) would sit on the signal until
      // the timeout; resuming it lets the shutdown proceed at once.
      signalServer(pid, this.#paths.dataDir, 'SIGCONT');
      const timeoutMs = options.timeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#exited!.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        escalated = true;
        signalServer(pid, this.#paths.dataDir, 'SIGKILL');
      }
      await this.#exited;
    }
    await sweepGroup(pid, this.#paths.dataDir);
    this.#stopped = child;
    this.#opts.registry?.remove(pid);
    this.#emit(
      'node-stopped',
      `stopped ${this.name} (${this.zone}) ${mode}${escalated ? ', killed after the timeout' : ''} in ${Date.now() - t0} ms`,
      { mode, escalated, pid, ms: Date.now() - t0 },
    );
  }

  /**
   * Sends a signal to the postmaster (as `kill <pid>` would), or to every process of the server —
   * a SIGSTOP/SIGCONT of all pauses and resumes the server with its backends, as a frozen host; a
   * SIGKILL of all is a crashed host. The postmaster goes first, so it cannot fork or restart a
   * child meanwhile. Backends make their own process groups, so they are found by their working
   * folder, the data folder.
   */
  kill(sig: NodeJS.Signals, options: { group?: boolean } = {}): boolean {
    const pid = this.pid;
    if (pid === undefined) return false;
    return options.group === true ? signalServer(pid, this.#paths.dataDir, sig) : signal(pid, sig);
  }

  /** Resolves when the current server process exits (at once when none runs). */
  waitForExit(): Promise<NodeExit> {
    if (!this.running || this.#exited === undefined) {
      return Promise.resolve({ code: this.#child?.exitCode ?? null, signal: this.#child?.signalCode ?? null });
    }
    return this.#exited;
  }

  /** Superuser connection settings for `pg`, over TCP as every client of the twin connects. */
  clientConfig(database = 'postgres'): pg.ClientConfig {
    this.#assertStartedOnce();
    return { host: '127.0.0.1', port: this.#port, user: SUPERUSER, password: this.#password, database };
  }

  /** `postgresql://user:password@127.0.0.1:port/database`; the superuser's unless a user is given. */
  connectionString(options: { database?: string; user?: string; password?: string } = {}): string {
    this.#assertStartedOnce();
    const user = options.user ?? SUPERUSER;
    const password = options.password ?? (user === SUPERUSER ? this.#password : undefined);
    const auth = encodeURIComponent(user) + (password === undefined ? '' : ':' + encodeURIComponent(password));
    return `postgresql://${auth}@127.0.0.1:${this.#port}/${encodeURIComponent(options.database ?? 'postgres')}`;
  }

  /**
   * Creates (or updates) an application's database and its owner role with least privilege, and
   * returns the owner's credentials. The password is sent to the server only as a SCRAM verifier.
   */
  async createDatabase(
    database: string,
    owner: string = database,
    password: string = generatePassword(),
  ): Promise<AppDatabase & { readonly connectionString: string }> {
    checkAppDatabaseInput(database, owner, password, SUPERUSER);
    if (!this.running) {
      throw dbError('HASTACK_DB_NOT_RUNNING', `cannot create database ${database}: ${this.name} is not running`, {
        details: { node: this.name },
      });
    }
    await createAppDatabase(async (db) => {
      const c = new pg.Client({ ...this.clientConfig(db), connectionTimeoutMillis: 5_000 });
      await c.connect();
      return c;
    }, { database, owner, password });
    this.#emit('database-created', `created database ${database} owned by role ${owner} on ${this.name}`, { database, owner });
    return { database, owner, password, connectionString: this.connectionString({ database, user: owner, password }) };
  }

  /** Stops the server at once and deletes every file of the node (data, log, password, sockets). */
  async remove(): Promise<void> {
    await this.stop({ mode: 'immediate' });
    const paths = this.#prepared === undefined ? this.#paths : (await this.#prepare()).paths;
    for (const p of [paths.dataDir, paths.logFile, paths.passwordFile, paths.socketDir]) {
      await rm(p, { recursive: true, force: true });
    }
    if (paths.relocatedFrom !== undefined) {
      await rm(path.dirname(paths.dataDir), { recursive: true, force: true });
    }
    this.#emit('node-removed', `removed ${this.name} (${this.zone}) and its files`, { dataDir: paths.dataDir });
  }

  #prepare() {
    this.#prepared ??= (async () => {
      const runAs = await resolveRunAsUser();
      const binaries = runAs === undefined ? this.#opts.binaries : await ensureBinariesReachable(this.#opts.binaries, runAs);
      const paths = await resolvePaths(this.#opts.dataDir, this.name, runAs);
      this.#paths = paths;
      if (paths.relocatedFrom !== undefined) {
        this.#emit(
          'data-relocated',
          `${this.name} keeps its files in ${path.dirname(paths.dataDir)} because user ${runAs?.name}, which runs PostgreSQL, cannot enter ${path.dirname(paths.relocatedFrom)}`,
          { dataDir: paths.dataDir, requested: paths.relocatedFrom, user: runAs?.name },
        );
      }
      return { runAs, binaries, paths };
    })().catch((e: unknown) => {
      this.#prepared = undefined;
      throw e;
    });
    return this.#prepared;
  }

  /** True when the data folder was initialised by the same major version as the binaries. */
  async #initializedMajor(paths: NodePaths, binaries: PostgresBinaries): Promise<boolean> {
    const text = await readFile(path.join(paths.dataDir, 'PG_VERSION'), 'utf8').catch(() => undefined);
    if (text === undefined) return false;
    const major = Number(text.trim());
    if (major !== binaries.major) {
      throw dbError(
        'HASTACK_DB_VERSION_MISMATCH',
        `${paths.dataDir} was created by PostgreSQL ${text.trim()} but the binaries found are ${binaries.version} (${binaries.bindir}); ` +
          'remove the state folder or set HASTACK_PG_BINDIR to binaries of that version',
        { details: { node: this.name, dataMajor: major, binariesVersion: binaries.version } },
      );
    }
    return true;
  }

  #assertStartedOnce(): void {
    if (this.#port === 0 || this.#password === undefined) {
      throw dbError('HASTACK_DB_NOT_RUNNING', `${this.name} has not been started yet, so its port and password are unknown`, {
        details: { node: this.name },
      });
    }
  }

  #emit(type: string, message: string, data: Record<string, unknown>): void {
    this.#opts.onEvent?.({ source: 'db', type, message, data: { node: this.name, zone: this.zone, ...data } });
  }
}

function classifyStartFailure(name: string, port: number, exit: NodeExit, tail: string) {
  const details = { node: name, port, ...exit };
  if (/could not bind .*Address already in use|could not create any TCP\/IP sockets/.test(tail)) {
    return dbError('HASTACK_DB_PORT_IN_USE', `${name} cannot listen on 127.0.0.1:${port}: port ${port} is in use`, { details });
  }
  const other = /lock file "postmaster\.pid" already exists[\s\S]*?PID (\d+)/.exec(tail);
  if (other !== null) {
    return dbError(
      'HASTACK_DB_ALREADY_RUNNING',
      `another PostgreSQL (pid ${other[1]}) already runs on ${name}'s data folder; stop it and retry`,
      { details: { ...details, otherPid: Number(other[1]) } },
    );
  }
  return dbError('HASTACK_DB_START_FAILED', `${name} exited while starting (${describeExit(exit)}); log tail:\n${tail}`, { details });
}

/** Checked before spawning so the error names the port, not whatever the server logs. */
function assertPortFree(port: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? dbError('HASTACK_DB_PORT_IN_USE', `${name} cannot listen on 127.0.0.1:${port}: port ${port} is in use`, {
              details: { node: name, port },
            })
          : e,
      ),
    );
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve()));
  });
}

async function ensurePrivateFolder(dir: string, runAs: RunAsUser | undefined): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) {
    throw dbError('HASTACK_DB_NOT_ACCESSIBLE', `${dir} should be a folder for PostgreSQL's socket but is not`, { details: { dir } });
  }
  const owner = runAs?.uid ?? process.getuid?.();
  if (owner !== undefined && st.uid !== owner) {
    // Only root can hand a folder over; anyone else finding a stranger's folder here stops.
    if (runAs === undefined) {
      throw dbError('HASTACK_DB_NOT_ACCESSIBLE', `${dir} belongs to uid ${st.uid}, not to us`, { details: { dir } });
    }
    await chown(dir, runAs.uid, runAs.gid);
  }
  await chmod(dir, 0o700);
}

/** Only what PostgreSQL needs: nothing of the supervisor's secrets, and C messages we can parse. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
  if (process.env['TZ'] !== undefined) env['TZ'] = process.env['TZ'];
  return env;
}

/**
 * Runs a PostgreSQL tool to its end (as `runAs` when given) and keeps the last 8 KiB of its output.
 * `env` adds to the minimal environment, e.g. PGPASSWORD, which stays out of the command line;
 * after `timeoutMs` the tool is killed (SIGKILL) and the result says so.
 */
export function runToEnd(
  cmd: string,
  args: readonly string[],
  o: { cwd: string; runAs: RunAsUser | undefined; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: { ...childEnv(), ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(o.runAs === undefined ? {} : { uid: o.runAs.uid, gid: o.runAs.gid }),
    });
    let output = '';
    let timedOut = false;
    const timer =
      o.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, o.timeoutMs);
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-8_192);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, output: output + e.message, timedOut });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, output, timedOut });
    });
  });
}

/** The postmaster's group first, then every other process working in the data folder. */
function signalServer(pid: number, dataDir: string, sig: NodeJS.Signals): boolean {
  const sent = signal(-pid, sig);
  for (const p of processesIn(dataDir)) if (p !== pid) signal(p, sig);
  return sent;
}

function signal(target: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILLs what is left of the server — its process group and every process working in its data
 * folder (backends that outlived a SIGKILLed postmaster) — and waits (bounded) until it is gone.
 * Orphans are reaped by init, not by us; where init does not reap, zombies stay and the wait ends
 * at its bound.
 */
async function sweepGroup(pgid: number, dataDir: string): Promise<void> {
  const left = () => [...(signal(-pgid, 0) ? [-pgid] : []), ...processesIn(dataDir)];
  const until = Date.now() + 2_000;
  for (let targets = left(); targets.length > 0 && Date.now() < until; targets = left()) {
    for (const t of targets) signal(t, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function describeExit(exit: NodeExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

