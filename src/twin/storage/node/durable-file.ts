/** Writing a small file (text as UTF-8) so that it is on disk (fsynced) before the call returns. */
import { open } from 'node:fs/promises';

export async function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  const fh = await open(file, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
