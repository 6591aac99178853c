/**
 * PostgreSQL refuses to run as root. When hastack itself runs as root (containers, CI boxes), the
 * server runs as an unprivileged user instead, and every folder it touches must be reachable by
 * that user. Child processes spawned with `uid`/`gid` lose their supplementary groups (libuv calls
 * setgroups(0)), so checking owner, primary group and other bits is exact.
 */
import { execFile } from 'node:child_process';
import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { dbError } from './errors.ts';

const execFileAsync = promisify(execFile);

export interface RunAsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Users tried in order: the distribution's own `postgres`, else `nobody`. */
export const RUN_AS_CANDIDATES = ['postgres', 'nobody'] as const;

/**
 * The user to run PostgreSQL as, or undefined when this process is not root (then it runs as us).
 */
export async function resolveRunAsUser(getuid: (() => number) | undefined = process.getuid): Promise<RunAsUser | undefined> {
  if (getuid?.() !== 0) return undefined;
  for (const name of RUN_AS_CANDIDATES) {
    const user = await lookupUser(name);
    if (user !== undefined && user.uid !== 0) return user;
  }
  throw dbError(
    'HASTACK_DB_RUN_AS_USER_NOT_FOUND',
    `running as root, but none of the users ${RUN_AS_CANDIDATES.join(', ')} exists to run PostgreSQL as ` +
      '(PostgreSQL refuses to run as root); create a `postgres` user or run as an ordinary user',
  );
}

export async function lookupUser(name: string): Promise<RunAsUser | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const local = parsePasswd(passwd, name);
  if (local !== undefined) return local;
  // Users from NSS sources (LDAP, systemd-homed) are not in /etc/passwd.
  const r = await execFileAsync('getent', ['passwd', name], { timeout: 5_000 }).catch(() => undefined);
  return r === undefined ? undefined : parsePasswd(r.stdout, name);
}

export function parsePasswd(text: string, name: string): RunAsUser | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] !== name || f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid };
  }
  return undefined;
}

export interface FileOwnership {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** Whether `user` holds every permission in `need` (a mask of 4 = r, 2 = w, 1 = x) on the file. */
export function userMay(file: FileOwnership, user: Pick<RunAsUser, 'uid' | 'gid'>, need: number): boolean {
  const shift = file.uid === user.uid ? 6 : file.gid === user.gid ? 3 : 0;
  return ((file.mode >> shift) & need) === need;
}

/**
 * The first folder on the way from `/` to `target` (inclusive) that `user` cannot pass through,
 * or undefined when the whole chain is open. Missing folders end the walk: whoever creates them
 * decides their mode.
 */
export async function firstBlockedFolder(target: string, user: RunAsUser): Promise<string | undefined> {
  const abs = path.resolve(target);
  const chain: string[] = [];
  for (let p = abs; ; p = path.dirname(p)) {
    chain.unshift(p);
    if (p === path.dirname(p)) break;
  }
  for (const p of chain) {
    const st = await stat(p).catch(() => undefined);
    if (st === undefined) return undefined;
    if (!userMay(st, user, 1)) return p;
  }
  return undefined;
}

/**
 * A folder hastack made under a shared temp folder must be ours: a real folder (not a symlink),
 * owned by us and not writable by others, so nobody can plant links or files in it beforehand.
 */
export async function assertOwnedByUs(folder: string, uid: number = process.getuid?.() ?? 0): Promise<void> {
  const st = await lstat(folder);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw dbError(
      'HASTACK_DB_NOT_ACCESSIBLE',
      `${folder} exists but is not a folder owned by uid ${uid} and closed to others; remove it and retry`,
      { details: { folder } },
    );
  }
}
