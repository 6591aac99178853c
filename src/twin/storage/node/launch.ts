/**
 * Starting a storage node as its own OS process: spawned detached (its own process group, which a
 * reaper can end if the twin dies) with a lifeline (its stdin, a pipe from this process: when this
 * process dies, however it dies, the node stops too), ready once it prints its ready line. Its
 * stderr log goes to an optional file; the last few KiB are kept for the error if it fails to start.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { storageError } from '../errors.ts';
import type { ProcessRegistry } from '../../reaper/reaper.ts';

const TSX = import.meta.resolve('tsx');
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** How long a node may take to print its ready line. */
export const START_TIMEOUT_MS = 15_000;
/** How long stop() waits after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 5_000;
const TAIL_BYTES = 8 * 1024;

export interface StartStorageNodeOptions {
  readonly dataDir: string;
  readonly zone: string;
  /** File holding the bearer token (the node reads it at start). */
  readonly tokenFile: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Told of the node's process group, so it never outlives the twin. */
  readonly registry?: ProcessRegistry;
  /** Appends the node's log (stderr, JSON lines) here. @default not kept */
  readonly logFile?: string;
  readonly scrubIntervalMs?: number;
  readonly scrubBytesPerSecond?: number;
}

export interface StorageNodeProcess {
  readonly zone: string;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dataDir: string;
  /** Signals the whole process group. @default 'SIGKILL' */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (graceful: commits under way finish), then SIGKILL after 5 s; resolves once exited. */
  stop(): Promise<void>;
  /** The exit code, null when ended by a signal. */
  readonly exited: Promise<number | null>;
}

/** Starts a node and resolves once it listens. */
export async function startStorageNode(opts: StartStorageNodeOptions): Promise<StorageNodeProcess> {
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const args = ['--import', TSX, MAIN, '--data-dir', dataDir, '--zone', opts.zone, '--token-file', path.resolve(opts.tokenFile), '--port', String(opts.port ?? 0), '--lifeline', 'stdin'];
  if (opts.scrubIntervalMs !== undefined) args.push('--scrub-interval-ms', String(opts.scrubIntervalMs));
  if (opts.scrubBytesPerSecond !== undefined) args.push('--scrub-bytes-per-second', String(opts.scrubBytesPerSecond));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '16' } });
  const pid = child.pid;
  // Nothing is written to the lifeline; it must not keep this process running.
  child.stdin!.on('error', () => {});
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      if (pid !== undefined) opts.registry?.remove(pid);
      resolve(code);
    });
    child.once('error', () => resolve(null));
  });
  if (pid !== undefined) opts.registry?.add(pid);

  let tail = '';
  const log = opts.logFile === undefined ? undefined : createWriteStream(opts.logFile, { flags: 'a' });
  log?.on('error', () => {});
  child.stderr!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    log?.write(chunk);
  });
  child.stderr!.once('end', () => log?.end());

  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };

  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      signalGroup('SIGKILL');
      reject(storageError('HASTACK_STORAGE_START_TIMEOUT', `the storage node of zone ${opts.zone} did not report ready within ${START_TIMEOUT_MS} ms; its log ends:\n${tail}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      clearTimeout(timer);
      try {
        const line = JSON.parse(out.slice(0, nl)) as { ready?: unknown; port?: unknown };
        if (line.ready !== true || typeof line.port !== 'number') throw new Error('not a ready line');
        resolve(line.port);
      } catch {
        signalGroup('SIGKILL');
        reject(storageError('HASTACK_STORAGE_START_FAILED', `the storage node of zone ${opts.zone} printed ${JSON.stringify(out.slice(0, nl))} instead of its ready line`));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      // Let the last stderr bytes arrive before quoting them.
      setTimeout(() => reject(storageError('HASTACK_STORAGE_START_FAILED', `the storage node of zone ${opts.zone} exited (code ${code}) before it was ready; its log ends:\n${tail}`)), 50);
    });
  });

  return {
    zone: opts.zone,
    pid: pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    kill: (signal = 'SIGKILL') => signalGroup(signal),
    stop: async () => {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
    exited,
  };
}
