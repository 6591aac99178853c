import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HastackError } from '../../errors.ts';

/** Where every child process group of the twin is registered, so none can outlive it. */
export interface ProcessRegistry {
  add(pgid: number): void;
  remove(pgid: number): void;
}

const TSX = import.meta.resolve('tsx');
const MAIN = fileURLToPath(new URL('./reaper-main.ts', import.meta.url));

export class Reaper implements ProcessRegistry {
  private child: ChildProcess | undefined;

  start(): void {
    this.child = spawn(process.execPath, ['--import', TSX, MAIN], {
      detached: true, // its own group: a Ctrl-C or a group kill aimed at the parent spares it
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.child.unref();
    const stdin = this.child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
    stdin?.unref?.();
    this.child.stdin?.on('error', () => {});
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  add(pgid: number): void {
    this.child?.stdin?.write(`+${pgid}\n`);
  }

  remove(pgid: number): void {
    this.child?.stdin?.write(`-${pgid}\n`);
  }

  /** A temporary folder (an absolute path) the reaper removes if this process dies; removing it first is harmless. */
  addFolder(folder: string): void {
    this.child?.stdin?.write(`d${folderLine(folder)}\n`);
  }

  /** Orderly shutdown: everything was stopped and removed already, so the reaper just exits. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }
}

/** A folder as one line of the reaper's protocol: an absolute path without a line break. */
function folderLine(folder: string): string {
  if (!path.isAbsolute(folder) || /[\r\n]/.test(folder)) {
    throw new HastackError('HASTACK_INTERNAL', 'internal', `reaper: folder ${JSON.stringify(folder)} is not an absolute path on one line`);
  }
  return folder;
}
