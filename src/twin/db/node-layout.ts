/**
 * Where one database node keeps its files. The data folder is PostgreSQL's own; the log, the
 * superuser password and the socket folder sit beside it, prefixed with the node name so nodes can
 * share a parent folder:
 *
 *   <parent>/<data>            PGDATA, 0700
 *   <parent>/<name>.log        server log (stdout and stderr)
 *   <parent>/<name>.password   superuser password, 0600
 *   <parent>/<name>.sock/      Unix socket folder, 0700
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbError } from './errors.ts';
import { markRelocation } from './relocated.ts';
import { assertOwnedByUs, firstBlockedFolder, type RunAsUser } from './run-as.ts';

export interface NodePaths {
  readonly dataDir: string;
  readonly logFile: string;
  readonly passwordFile: string;
  readonly socketDir: string;
  /**
   * The data folder that was asked for, when running as root it was out of the unprivileged
   * user's reach and the node's files live under the OS temp folder instead.
   */
  readonly relocatedFrom: string | undefined;
}

/**
 * Unix socket paths are limited to 108 bytes on Linux and 104 on macOS; the socket file itself is
 * `.s.PGSQL.<port>` (at most 16 more bytes).
 */
const MAX_SOCKET_DIR = 104 - 1 - '.s.PGSQL.65535'.length - 1;

export function plannedPaths(dataDir: string, name: string): NodePaths {
  const abs = path.resolve(dataDir);
  return layoutIn(path.dirname(abs), path.basename(abs), name, undefined);
}

/**
 * The planned paths, or — when PostgreSQL runs as another user that cannot reach the planned
 * parent folder — the same layout under a folder of the OS temp folder that it can reach. The
 * temp folder's name derives from the planned data folder, so a later run finds the same data.
 */
export async function resolvePaths(dataDir: string, name: string, runAs: RunAsUser | undefined): Promise<NodePaths> {
  const planned = plannedPaths(dataDir, name);
  const parent = path.dirname(planned.dataDir);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const base = await reachableFolder(parent, runAs, { prefix: 'hastack-db', key: planned.dataDir });
  return base === parent ? planned : layoutIn(base, path.basename(planned.dataDir), name, planned.dataDir);
}

/**
 * `folder` when the user PostgreSQL runs as (`runAs`) can enter it; otherwise a folder of the OS
 * temp folder that it can, named `<prefix>-<hash of key>` so a later run finds the same one.
 */
export async function reachableFolder(folder: string, runAs: RunAsUser | undefined, o: { prefix: string; key: string }): Promise<string> {
  if (runAs === undefined) return folder;
  const blocked = await firstBlockedFolder(folder, runAs);
  if (blocked === undefined) return folder;
  const base = path.join(os.tmpdir(), `${o.prefix}-${shortHash(o.key)}`);
  const blockedTmp = await firstBlockedFolder(path.dirname(base), runAs);
  if (blockedTmp !== undefined) {
    throw dbError(
      'HASTACK_DB_NOT_ACCESSIBLE',
      `user ${runAs.name}, which runs PostgreSQL, cannot enter ${blocked} ` +
        `nor the OS temp folder (${blockedTmp}); make one of them traversable (chmod o+x) or use another state folder`,
      { details: { folder, user: runAs.name } },
    );
  }
  await mkdir(base, { recursive: true, mode: 0o755 });
  await assertOwnedByUs(base);
  await markRelocation(base, o.key);
  return base;
}

function layoutIn(base: string, dataName: string, name: string, relocatedFrom: string | undefined): NodePaths {
  const nearSocket = path.join(base, `${name}.sock`);
  return {
    dataDir: path.join(base, dataName),
    logFile: path.join(base, `${name}.log`),
    passwordFile: path.join(base, `${name}.password`),
    socketDir:
      Buffer.byteLength(nearSocket) <= MAX_SOCKET_DIR
        ? nearSocket
        : path.join(os.tmpdir(), `hastack-sock-${shortHash(nearSocket)}`),
    relocatedFrom,
  };
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}
