/**
 * Editing `postgresql.auto.conf`, the file ALTER SYSTEM writes, in a data folder whose server is
 * not running: pure text edits (drop settings, set settings, quote values and libpq connection
 * strings) and a writer for the small private files of a data folder (atomic, fsynced, 0600,
 * owned like the folder).
 */
import { chmod, chown, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from '../../util/fsync-path.ts';

export const AUTO_CONF = 'postgresql.auto.conf';

/** The setting a configuration line assigns (lower-cased), or undefined for comments and blanks. */
function settingOf(line: string): string | undefined {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_.$]*)\s*(?:=|\s|$)/.exec(line);
  return m === null ? undefined : m[1]!.toLowerCase();
}

/** The text without the lines that assign any of `names` (case-insensitive, as PostgreSQL reads them). */
export function removeSettings(text: string, names: readonly string[]): string {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const lines = text.split('\n').filter((line) => {
    const name = settingOf(line);
    return name === undefined || !drop.has(name);
  });
  return lines.join('\n');
}

/**
 * The text with each setting assigned once, at the end, as ALTER SYSTEM writes it; a value of
 * undefined removes the setting.
 */
export function setSettings(text: string, settings: Readonly<Record<string, string | undefined>>): string {
  let out = removeSettings(text, Object.keys(settings)).replace(/\n*$/, '\n');
  if (out === '\n') out = '';
  for (const [name, value] of Object.entries(settings)) {
    if (value !== undefined) out += `${name} = ${quoteSettingValue(value)}\n`;
  }
  return out;
}

/** A configuration-file string literal: single quotes, with quotes doubled and backslashes escaped. */
export function quoteSettingValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A libpq `key=value` connection string; every value is single-quoted with `\` escapes. */
export function conninfo(params: Readonly<Record<string, string | number>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}='${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(' ');
}

/**
 * Rewrites `<dataDir>/postgresql.auto.conf` through `edit` with writeDataFile. The file gets mode
 * 0600 whatever it had.
 */
export async function rewriteAutoConf(dataDir: string, edit: (text: string) => string): Promise<void> {
  const before = await readFile(path.join(dataDir, AUTO_CONF), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  const after = edit(before);
  if (after !== before) await writeDataFile(dataDir, AUTO_CONF, after);
}

/**
 * Writes `<dataDir>/<name>` atomically (a temporary file renamed over it) and durably (file and
 * folder fsynced), mode 0600 and owned like the data folder, so the server's user can read it.
 */
export async function writeDataFile(dataDir: string, name: string, text: string): Promise<void> {
  const owner = await stat(dataDir);
  const file = path.join(dataDir, name);
  const tmp = `${file}.hastack-tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  if (process.getuid?.() === 0) await chown(tmp, owner.uid, owner.gid);
  await fsyncPath(tmp);
  await rename(tmp, file);
  await fsyncPath(dataDir);
}

