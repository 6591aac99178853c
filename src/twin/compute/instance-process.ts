import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { processCpuSeconds } from '../../util/process-cpu.ts';
import { localExecutable } from '../../util/local-executable.ts';
import type { ResolvedCommand } from '../../spec/types.ts';
import type { ProcessRegistry } from '../reaper/reaper.ts';

/**
 * One instance's OS process: the user's app, started in its own process group so a stop, a pause
 * or a kill reaches everything it spawned. Output goes to the instance's log file.
 */
export interface InstanceProcessOptions {
  readonly command: ResolvedCommand;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly registry?: ProcessRegistry;
}

export class InstanceProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exitPromise: Promise<void> | undefined;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  exited = false;
  paused = false;

  constructor(private readonly opts: InstanceProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { command, env, logFile, registry } = this.opts;
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.log.on('error', () => {});
    const exe = localExecutable(command.command);
    const child = spawn(exe, [...command.args], {
      cwd: command.cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exitPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        if (child.pid !== undefined) registry?.remove(child.pid);
        resolve();
      });
      child.once('error', (err) => {
        this.log?.write(`[hastack] could not start ${exe}: ${err.message}\n`);
        this.exited = true;
        resolve();
      });
    });
    if (child.pid !== undefined) registry?.add(child.pid);
    // stdout/stderr are read until the process ends; closing the log waits for both.
    void this.exitPromise.then(() => setTimeout(() => this.log?.end(), 50).unref());
  }

  /** Sends a signal to the whole process group; false if it is gone. */
  signal(sig: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.exited) return false;
    try {
      process.kill(-pid, sig);
    } catch {
      return false;
    }
    if (sig === 'SIGSTOP') this.paused = true;
    if (sig === 'SIGCONT') this.paused = false;
    return true;
  }

  /** Settles when the process has exited (at once if it never started). */
  get exited$(): Promise<void> {
    return this.exitPromise ?? Promise.resolve();
  }

  /** Resolves when the process has exited, or with false after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exited || this.exitPromise === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const r = await Promise.race([this.exitPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return r;
  }

  /** SIGTERM, then SIGKILL after timeoutMs, as EC2 does on terminate after the OS shutdown grace. */
  async stop(timeoutMs: number): Promise<'graceful' | 'killed' | 'already-exited'> {
    if (this.exited) return 'already-exited';
    this.signal('SIGTERM');
    if (await this.waitExit(timeoutMs)) return 'graceful';
    this.signal('SIGKILL');
    await this.waitExit(5000);
    return 'killed';
  }

  /** Total CPU seconds (user + system) of the main process, from /proc; undefined where unavailable. */
  cpuSeconds(): number | undefined {
    return this.exited ? undefined : processCpuSeconds(this.child?.pid);
  }
}
