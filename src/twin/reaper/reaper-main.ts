/**
 * The reaper: a small watchdog process that outlives its parent by design. The parent sends
 * `+<pgid>` / `-<pgid>` lines on stdin for every process group it starts or ends, and
 * `d<folder>` for temporary folders that must not outlive it. When stdin closes —
 * the parent exited, however it died, even by SIGKILL — the reaper ends every group still listed
 * (SIGTERM, then SIGKILL after a grace), then removes every folder still listed, so no instance,
 * database or temporary folder outlives the twin (or a test).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const groups = new Set<number>();
const folders = new Set<string>();
const graceMs = Number(process.env['HASTACK_REAPER_GRACE_MS'] ?? 2000);

function signalAll(sig: NodeJS.Signals): void {
  for (const g of groups) {
    try {
      process.kill(-g, sig);
    } catch {
      groups.delete(g); // already gone
    }
  }
}

function alive(g: number): boolean {
  try {
    process.kill(-g, 0);
    return true;
  } catch {
    return false;
  }
}

process.on('SIGINT', () => {}); // a terminal's Ctrl-C is for the parent, which shuts down in order
process.on('SIGHUP', () => {});

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.startsWith('d')) {
    const folder = line.slice(1);
    // Only an absolute path that is not a filesystem root.
    if (path.isAbsolute(folder) && path.dirname(folder) !== folder) folders.add(folder);
    return;
  }
  const n = Number(line.slice(1));
  if (!Number.isInteger(n) || n <= 1) return;
  if (line.startsWith('+')) groups.add(n);
  else if (line.startsWith('-')) groups.delete(n);
});
rl.on('close', () => {
  signalAll('SIGTERM');
  const deadline = Date.now() + graceMs;
  const tick = setInterval(() => {
    for (const g of groups) if (!alive(g)) groups.delete(g);
    if (groups.size === 0 || Date.now() >= deadline) {
      clearInterval(tick);
      signalAll('SIGCONT'); // a paused group cannot act on SIGTERM; SIGKILL needs no help, but be tidy
      signalAll('SIGKILL');
      for (const folder of folders) {
        try {
          rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
        } catch {
          // nothing to tell anyone: the parent is gone; the next folder may still go
        }
      }
      process.exit(0);
    }
  }, 100);
});
