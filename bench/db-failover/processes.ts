/**
 * The benchmark's own processes (etcd, Patroni, HAProxy) and what they leave behind: each is
 * spawned in its own process group, its output goes to a log file, and a last-resort cleanup
 * runs when this process exits for any reason, so no server outlives the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import type { RunAsUser } from '../../src/twin/db/run-as.ts';

export interface Spawned {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly logFile: string;
}

const cleanups = new Set<() => void>();
let hooked = false;

/** Registers a synchronous cleanup run at process exit; returns its removal. */
export function atExit(fn: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const f of [...cleanups].reverse()) {
        try {
          f();
        } catch {
          // best effort: the process is going away
        }
      }
    });
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function signal(target: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, sig);
    return true;
  } catch {
    return false;
  }
}

/** Spawns `cmd` in its own process group, as `runAs` when given, output appended to `logFile`. */
export function spawnLogged(name: string, cmd: string, args: readonly string[], o: { logFile: string; cwd: string; runAs?: RunAsUser; env?: NodeJS.ProcessEnv }): Spawned {
  const fd = openSync(o.logFile, 'a', 0o644);
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: o.cwd,
      env: o.env ?? { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(o.runAs === undefined ? {} : { uid: o.runAs.uid, gid: o.runAs.gid }),
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', () => resolve({ code: child.exitCode ?? 1, signal: child.signalCode }));
  });
  const pid = child.pid;
  if (pid !== undefined) {
    const remove = atExit(() => signal(-pid, 'SIGKILL'));
    void exited.then(remove);
  }
  return { name, child, exited, logFile: o.logFile };
}

export function running(s: Spawned): boolean {
  return s.child.exitCode === null && s.child.signalCode === null && s.child.pid !== undefined;
}

/** Sends `sig`, waits up to `timeoutMs`, then SIGKILLs the whole group. */
export async function stopSpawned(s: Spawned, sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
  const pid = s.child.pid;
  if (pid === undefined) return;
  if (running(s)) {
    signal(pid, sig);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([s.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) signal(-pid, 'SIGKILL');
    await s.exited;
  }
  signal(-pid, 'SIGKILL');
}

/**
 * The postmaster pid recorded in a data folder, when that process still runs PostgreSQL on that
 * very folder (a stale file or a reused pid is ignored).
 */
export function postmasterPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return undefined;
    return cmd.some((a) => a === dataDir || a.startsWith(`--config-file=${dataDir}/`)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILLs the postmaster of `dataDir` if one runs; its backends notice and exit. */
export function killPostmaster(dataDir: string): number | undefined {
  const pid = postmasterPid(dataDir);
  if (pid !== undefined) signal(pid, 'SIGKILL');
  return pid;
}
