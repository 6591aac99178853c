/**
 * The gateway's hybrid clock: every seq it hands out is greater than every one before it, even if
 * the wall clock steps back or many arrive in one millisecond, and starts above any seq it has seen
 * on the nodes (so a restarted gateway never reuses one). Version ids are derived from seqs, so they
 * sort by age and never repeat.
 */
import { randomBytes } from 'node:crypto';
import type { Seq } from './records.ts';

const MS_DIGITS = 12;
const COUNTER_DIGITS = 6;

export class SeqClock {
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Move past a seq seen elsewhere (at start-up, from the nodes). */
  observe(seq: Seq): void {
    const ms = Number.parseInt(seq.slice(0, MS_DIGITS), 16);
    const counter = Number.parseInt(seq.slice(MS_DIGITS, MS_DIGITS + COUNTER_DIGITS), 16);
    if (!Number.isFinite(ms) || !Number.isFinite(counter)) return;
    if (ms > this.lastMs || (ms === this.lastMs && counter > this.counter)) {
      this.lastMs = ms;
      this.counter = counter;
    }
  }

  next(): Seq {
    const now = this.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.counter = 0;
    } else {
      this.counter += 1;
      if (this.counter >= 16 ** COUNTER_DIGITS) {
        this.lastMs += 1;
        this.counter = 0;
      }
    }
    return this.lastMs.toString(16).padStart(MS_DIGITS, '0') + this.counter.toString(16).padStart(COUNTER_DIGITS, '0');
  }
}

/** An S3-looking version id (32 URL-safe characters) that starts with its seq. */
export function versionIdFor(seq: Seq): string {
  return `${seq}${randomBytes(10).toString('base64url').slice(0, 14)}`;
}

/** An upload id: opaque to clients, unique. */
export function newUploadId(seq: Seq): string {
  return `${seq}${randomBytes(24).toString('base64url')}`;
}
