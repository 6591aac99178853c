import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { specError } from './errors.ts';
import { resolveSpec, checkSpec, type ResolveResult } from './resolve.ts';
import type { ResolvedSpec } from './types.ts';

export const DEFAULT_CONFIG_FILE = 'hastack.config.ts';

/** Imports a config module (TypeScript through tsx, which the CLI registers) and returns its default export. */
export async function loadConfigModule(file: string): Promise<{ config: unknown; configDir: string; file: string }> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw specError('HASTACK_SPEC_NOT_FOUND', `config file not found: ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (cause) {
    const msg = (cause as Error).message;
    const hint = /require\(\) ES Module|Cannot use import statement/.test(msg)
      ? ' (the config is an ES module: add "type": "module" to the package.json beside it, or name it hastack.config.mts)'
      : '';
    throw specError('HASTACK_SPEC_LOAD_FAILED', `could not load ${file}: ${msg}${hint}`, { cause });
  }
  if (!('default' in mod)) {
    throw specError('HASTACK_SPEC_LOAD_FAILED', `${file} has no default export; expected \`export default defineStack({...})\``);
  }
  return { config: mod['default'], configDir: path.dirname(abs), file: abs };
}

export async function loadSpec(file: string): Promise<ResolvedSpec> {
  const { config, configDir } = await loadConfigModule(file);
  return resolveSpec(config, { configDir });
}

export async function checkConfigFile(file: string): Promise<ResolveResult> {
  const { config, configDir } = await loadConfigModule(file);
  return checkSpec(config, { configDir });
}
