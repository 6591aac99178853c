import { open } from 'node:fs/promises';

/**
 * The last `lines` lines of a log file written after byte `from` (so an earlier run's lines do not
 * pass for this one's), reading at most the last 16 KiB; '' when unreadable.
 */
export async function logTail(file: string, lines = 20, from = 0): Promise<string> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(from, size - 16 * 1024, 0);
      const buf = Buffer.alloc(Math.max(0, size - start));
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}
