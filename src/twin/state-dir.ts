import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { twinError } from './control/errors.ts';

/**
 * The twin's state folder (`.hastack/` next to the config): the running supervisor's address
 * card, the control token (0600), instance logs and the database's data.
 */
export const STATE_DIR_NAME = '.hastack';

export interface TwinCard {
  readonly pid: number;
  readonly reaperPid: number | undefined;
  readonly name: string;
  readonly endpoint: string;
  readonly httpsEndpoint: string | undefined;
  readonly controlApi: string;
  readonly stateDir: string;
  readonly startedAt: number;
}

export function stateDirFor(configDir: string): string {
  return path.join(configDir, STATE_DIR_NAME);
}

/**
 * Others may pass through (0711) but not list it: when hastack runs as root, PostgreSQL runs as an
 * unprivileged user that must reach its data folder inside. Secrets inside are 0600 files.
 */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  chmodSync(dir, 0o711);
}

/** A secret kept in the state folder, made once, readable only by its owner. */
export function readOrCreateSecret(dir: string, file: string, bytes = 24): string {
  const p = path.join(dir, file);
  if (existsSync(p)) {
    const v = readFileSync(p, 'utf8').trim();
    if (v.length >= 16) return v; // an emptied or truncated secret is replaced, never trusted
  }
  const v = randomBytes(bytes).toString('base64url');
  writeFileSync(p, `${v}\n`, { mode: 0o600 });
  return v;
}

export function writeCard(dir: string, card: TwinCard): void {
  writeFileSync(path.join(dir, 'twin.json'), `${JSON.stringify(card, null, 2)}\n`, { mode: 0o600 });
}

export function removeCard(dir: string): void {
  rmSync(path.join(dir, 'twin.json'), { force: true });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The card of a live supervisor, or undefined when none runs (a stale card is ignored). */
export function readLiveCard(dir: string): TwinCard | undefined {
  const p = path.join(dir, 'twin.json');
  if (!existsSync(p)) return undefined;
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw twinError('HASTACK_TWIN_STATE_UNREADABLE', `cannot read ${p}: ${(e as Error).message} (was the twin started by another user, e.g. with sudo?)`, { cause: e });
  }
  try {
    const card = JSON.parse(text) as TwinCard;
    return pidAlive(card.pid) ? card : undefined;
  } catch {
    return undefined; // a torn or foreign file: no live twin can be reached through it
  }
}
