/**
 * Folders the PostgreSQL server user works in (the WAL archive, where base backups land): created
 * if missing, private (0700) and owned by that user, with every folder above them traversable by
 * it. Also a durable small-file writer for the metadata hastack keeps beside them.
 */
import { chmod, chown, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dbError } from '../errors.ts';
import { fsyncPath } from '../../../util/fsync-path.ts';
import { firstBlockedFolder, resolveRunAsUser, type RunAsUser } from '../run-as.ts';

/**
 * Creates `dir` (and its parents) for the user PostgreSQL runs as: owned by it, mode 0700. Throws
 * HASTACK_DB_NOT_ACCESSIBLE when that user could not reach it.
 */
export async function preparePostgresFolder(dir: string): Promise<RunAsUser | undefined> {
  const abs = path.resolve(dir);
  const runAs = await resolveRunAsUser();
  await mkdir(abs, { recursive: true, mode: 0o700 });
  const st = await stat(abs);
  if (!st.isDirectory()) {
    throw dbError('HASTACK_DB_NOT_ACCESSIBLE', `${abs} should be a folder but is not`, { details: { dir: abs } });
  }
  if (runAs !== undefined) {
    const blocked = await firstBlockedFolder(path.dirname(abs), runAs);
    if (blocked !== undefined) {
      throw dbError(
        'HASTACK_DB_NOT_ACCESSIBLE',
        `user ${runAs.name}, which runs PostgreSQL, cannot enter ${blocked} on the way to ${abs}; make it traversable (chmod o+x) or use another folder`,
        { details: { dir: abs, blocked, user: runAs.name } },
      );
    }
    if (st.uid !== runAs.uid || st.gid !== runAs.gid) await chown(abs, runAs.uid, runAs.gid);
  }
  await chmod(abs, 0o700);
  return runAs;
}

/** Writes a small file durably and atomically: a temporary name, fsync, rename, fsync of the folder. */
export async function writeFileDurably(file: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await fsyncPath(tmp);
  await rename(tmp, file);
  await fsyncPath(path.dirname(file));
}
