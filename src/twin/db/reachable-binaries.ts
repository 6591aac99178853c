/**
 * When hastack runs as root from a private folder (a project under /root, say), the unprivileged
 * user PostgreSQL runs as cannot reach the embedded binaries inside node_modules. Those are then
 * copied once into a root-owned, world-readable folder under the OS temp folder and run from there.
 * System binaries are never copied: if they are unreachable the installation itself is broken.
 */
import { chmod, cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbError } from './errors.ts';
import type { PostgresBinaries } from './find-binaries.ts';
import { assertOwnedByUs, firstBlockedFolder, userMay, type RunAsUser } from './run-as.ts';

export async function ensureBinariesReachable(binaries: PostgresBinaries, user: RunAsUser): Promise<PostgresBinaries> {
  const blocked = await unreachable(binaries.bindir, user);
  if (blocked === undefined) return binaries;
  if (binaries.source !== 'npm') {
    throw dbError(
      'HASTACK_DB_NOT_ACCESSIBLE',
      `the PostgreSQL binaries in ${binaries.bindir} cannot be used by user ${user.name} (${blocked}); ` +
        'make them readable and the folders above them traversable, or set HASTACK_PG_BINDIR',
      { details: { bindir: binaries.bindir, user: user.name, blocked } },
    );
  }
  const native = path.dirname(binaries.bindir);
  const dest = path.join(os.tmpdir(), `hastack-postgres-${binaries.version}-${process.platform}-${process.arch}`);
  const ready = await stat(path.join(dest, 'bin', 'postgres')).then(
    () => true,
    () => false,
  );
  if (ready) {
    await assertOwnedByUs(dest);
  } else {
    // Copy beside the destination and rename, so two twins starting at once never see half a copy.
    const staging = `${dest}.${process.pid}.partial`;
    await rm(staging, { recursive: true, force: true });
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await openUp(staging);
    await rename(staging, dest).catch(async (e: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true });
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    });
    await assertOwnedByUs(dest);
  }
  const copied = { ...binaries, bindir: path.join(dest, 'bin') };
  const still = await unreachable(copied.bindir, user);
  if (still !== undefined) {
    throw dbError(
      'HASTACK_DB_NOT_ACCESSIBLE',
      `copied the PostgreSQL binaries to ${dest}, but user ${user.name} still cannot use them (${still}); ` +
        'check the permissions of the OS temp folder or set HASTACK_PG_BINDIR',
      { details: { bindir: copied.bindir, user: user.name, blocked: still } },
    );
  }
  return copied;
}

/** Why `user` cannot run the server from `bindir`, or undefined when it can. */
async function unreachable(bindir: string, user: RunAsUser): Promise<string | undefined> {
  for (const dir of [bindir, path.join(bindir, '..', 'lib'), path.join(bindir, '..', 'share')]) {
    const blocked = await firstBlockedFolder(dir, user);
    if (blocked !== undefined) return `cannot enter ${blocked}`;
  }
  for (const tool of ['postgres', 'initdb']) {
    const st = await stat(path.join(bindir, tool)).catch(() => undefined);
    if (st !== undefined && !userMay(st, user, 5)) return `cannot run ${tool}`;
  }
  return undefined;
}

/** Root-owned, readable by all, writable by root only; executables stay executable. */
async function openUp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await openUp(p);
    } else {
      const mode = (await stat(p)).mode;
      await chmod(p, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}
