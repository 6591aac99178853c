import { open } from 'node:fs/promises';

/** fsync of a file or a folder (Linux and macOS accept a read-only descriptor for both). */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
