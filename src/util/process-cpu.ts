import { readFileSync } from 'node:fs';

/** USER_HZ; 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used, from /proc; undefined where unavailable. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that ends the command name: state is field 3; utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
