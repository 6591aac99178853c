/**
 * Resident memory of processes, from /proc/<pid>/status (Linux): one reading, and a sampler that
 * keeps the peak of each process and of their sum while it runs.
 */
import { readFileSync } from 'node:fs';

/** VmRSS (now) or VmHWM (the process's lifetime peak) in KiB; undefined when unreadable. */
export function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Peaks of VmRSS, sampled every `everyMs` between start() and stop(). */
export class RssSampler {
  /** Highest VmRSS seen per pid, KiB. */
  readonly peakKiB = new Map<number, number>();
  /** Highest sum of the pids' VmRSS seen at one sampling instant, KiB. */
  peakSumKiB = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: readonly number[],
    private readonly everyMs = 50,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  private sample(): void {
    let sum = 0;
    for (const pid of this.pids) {
      const kib = memoryKiB(pid, 'VmRSS') ?? 0;
      sum += kib;
      if (kib > (this.peakKiB.get(pid) ?? 0)) this.peakKiB.set(pid, kib);
    }
    if (sum > this.peakSumKiB) this.peakSumKiB = sum;
  }
}
