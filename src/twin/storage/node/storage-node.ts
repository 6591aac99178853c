/**
 * One storage node, assembled: the replica store (recovered and loaded from its data folder), the
 * scrubber, the stale-stage sweeper and the HTTP server on 127.0.0.1. `close()` is the graceful
 * stop: no new requests, commits under way finish, then everything is released.
 */
import http from 'node:http';
import { readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { storageError } from '../errors.ts';
import { pidAlive } from '../../state-dir.ts';
import { closeServer, listenOnLoopback } from '../../../util/loopback-server.ts';
import { createRequestHandler } from './http-api.ts';
import { ensureLayout, LOCK_FILE } from './layout.ts';
import type { LogFn } from './recover.ts';
import { Scrubber, type ScrubberOptions } from './scrubber.ts';
import { ReplicaStore } from './store.ts';

export interface StorageNodeOptions {
  readonly dataDir: string;
  readonly zone: string;
  readonly token: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly scrub?: ScrubberOptions;
  readonly log?: LogFn;
  /** How long staged bytes wait for a commit. @default 15 minutes */
  readonly stageTtlMs?: number;
}

/** How often stale staged bytes are looked for. */
const SWEEP_EVERY_MS = 60_000;
/** At a stop, how long answers under way (after the commits finished) may take to go out. */
const ANSWER_GRACE_MS = 3_000;

export class StorageNode {
  readonly store: ReplicaStore;
  readonly scrubber: Scrubber;
  readonly #server: http.Server;
  readonly #opts: StorageNodeOptions;
  readonly #log: LogFn;
  #sweeper: NodeJS.Timeout | undefined;
  #stopping = false;
  #closed: Promise<void> | undefined;
  #answering = 0;
  #idle: (() => void) | undefined;
  port = 0;

  private constructor(opts: StorageNodeOptions, store: ReplicaStore, log: LogFn) {
    this.#opts = opts;
    this.#log = log;
    this.store = store;
    this.scrubber = new Scrubber(store, log, opts.scrub);
    const handle = createRequestHandler({ store, scrubber: this.scrubber, zone: opts.zone, token: opts.token, log, stopping: () => this.#stopping });
    this.#server = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
      this.#answering++;
      res.once('close', () => {
        if (--this.#answering === 0) this.#idle?.();
      });
      handle(req, res);
    });
    // A client that stalls mid-request for this long is cut off (its staged bytes are dropped).
    this.#server.setTimeout(120_000);
  }

  /** Takes the data folder (refusing one a live node serves), recovers and loads it, listens, starts the scrubber. */
  static async start(opts: StorageNodeOptions): Promise<StorageNode> {
    const log = opts.log ?? (() => {});
    await ensureLayout(opts.dataDir);
    await takeLock(opts.dataDir);
    let node: StorageNode | undefined;
    try {
      const store = await ReplicaStore.open(opts.dataDir, log, opts.stageTtlMs === undefined ? {} : { stageTtlMs: opts.stageTtlMs });
      node = new StorageNode(opts, store, log);
      node.port = await listenOnLoopback(node.#server, opts.port ?? 0);
    } catch (err) {
      await rm(path.join(opts.dataDir, LOCK_FILE), { force: true });
      throw err;
    }
    node.scrubber.start();
    node.#sweeper = setInterval(() => {
      node.store.staging.sweep().then(
        (n) => n > 0 && log('stages-expired', { count: n }),
        (err: unknown) => log('stage-sweep-failed', { error: (err as Error).message }),
      );
    }, SWEEP_EVERY_MS);
    node.#sweeper.unref();
    log('listening', { zone: opts.zone, port: node.port, dataDir: opts.dataDir });
    return node;
  }

  /** Stops taking requests, lets commits under way finish, stops the scrubber and frees the folder. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#sweeper);
    const closing = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await this.store.drain();
    await this.#answersSent(ANSWER_GRACE_MS);
    await this.scrubber.stop();
    await this.store.close();
    await closeServer(this.#server);
    await closing;
    await rm(path.join(this.#opts.dataDir, LOCK_FILE), { force: true });
    this.#log('stopped', { zone: this.#opts.zone });
  }

  /** Resolves once no response is under way, or after timeoutMs. */
  #answersSent(timeoutMs: number): Promise<void> {
    if (this.#answering === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#idle = done;
    });
  }
}

async function takeLock(dataDir: string): Promise<void> {
  const file = path.join(dataDir, LOCK_FILE);
  const held = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(held) && held > 0 && held !== process.pid && pidAlive(held) && (await servesFolder(held, dataDir))) {
    throw storageError('HASTACK_STORAGE_DATA_DIR_IN_USE', `data folder ${dataDir} is served by a live storage node process (pid ${held})`, { details: { pid: held } });
  }
  await writeFile(file, `${process.pid}\n`);
}

/** Whether a live pid is a node on this folder, not an unrelated process that reused the pid of a killed one. */
async function servesFolder(pid: number, dataDir: string): Promise<boolean> {
  try {
    const cwd = await readlink(`/proc/${pid}/cwd`);
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return args.some((a) => path.resolve(cwd, a.replace(/^--data-dir=/, '')) === dataDir);
  } catch {
    return process.platform !== 'linux';
  }
}
