/** Writing a small file so that it is on disk (fsynced) before the call returns. */
import { open } from 'node:fs/promises';

export async function writeFileDurably(file: string, text: string): Promise<void> {
  const fh = await open(file, 'w', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}
