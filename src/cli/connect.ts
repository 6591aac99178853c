import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../spec/index.ts';
import { ControlClient } from '../twin/control/control-client.ts';
import { twinError } from '../twin/control/errors.ts';
import { readLiveCard, stateDirFor, type TwinCard } from '../twin/state-dir.ts';
import type { ParsedArgs } from './main.ts';

export function configPath(args: ParsedArgs): string {
  const v = args.values['config'];
  return path.resolve(typeof v === 'string' ? v : DEFAULT_CONFIG_FILE);
}

export function stateDirOf(args: ParsedArgs): string {
  return stateDirFor(path.dirname(configPath(args)));
}

/** The running twin for this config, or HASTACK_TWIN_NOT_RUNNING. */
export function connect(args: ParsedArgs): { card: TwinCard; client: ControlClient } {
  const dir = stateDirOf(args);
  const card = readLiveCard(dir);
  if (card === undefined) throw twinError('HASTACK_TWIN_NOT_RUNNING', `no twin is running for ${configPath(args)} (no live supervisor in ${dir})`);
  return { card, client: controlClient(dir, card) };
}

/** A client of a live twin's control API, with the token from its state folder. */
export function controlClient(dir: string, card: TwinCard): ControlClient {
  return new ControlClient(card.controlApi, readFileSync(path.join(dir, 'control.token'), 'utf8').trim());
}

/** A positive whole number from a flag, or a user error naming the flag. */
export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `--${name}: received ${JSON.stringify(v)}, expected a whole number from ${min} to ${max}`);
  }
  return n;
}
