/**
 * The storage node process's command line, parsed (pure):
 *
 *   --data-dir D --zone Z --token-file F [--port 0] [--scrub-interval-ms N] [--scrub-bytes-per-second N]
 *   [--lifeline stdin]
 */
import { storageError } from '../errors.ts';

export interface NodeArgs {
  readonly dataDir: string;
  readonly zone: string;
  readonly tokenFile: string;
  readonly port: number;
  readonly scrubIntervalMs?: number;
  readonly scrubBytesPerSecond?: number;
  /** `stdin`: stdin is a pipe from the process that started the node, which stops when it ends (that process died). */
  readonly lifeline?: 'stdin';
}

const FLAGS = ['--data-dir', '--zone', '--token-file', '--port', '--scrub-interval-ms', '--scrub-bytes-per-second', '--lifeline'] as const;

export function parseNodeArgs(argv: readonly string[]): NodeArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(FLAGS as readonly string[]).includes(flag)) throw bad('a flag', JSON.stringify(arg), `one of ${FLAGS.join(', ')}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw bad(flag, 'given no value', 'a value after it');
    values.set(flag, value);
  }
  const required = (flag: string): string => {
    const v = values.get(flag);
    if (v === undefined) throw bad(flag, 'missing', 'it to be given');
    return v;
  };
  const count = (flag: string, min: number, max: number): number | undefined => {
    const v = values.get(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw bad(flag, JSON.stringify(v), `a whole number from ${min} to ${max}`);
    return Number(v);
  };
  const scrubIntervalMs = count('--scrub-interval-ms', 1, 7 * 24 * 3600 * 1000);
  const scrubBytesPerSecond = count('--scrub-bytes-per-second', 1, Number.MAX_SAFE_INTEGER);
  const lifeline = values.get('--lifeline');
  if (lifeline !== undefined && lifeline !== 'stdin') throw bad('--lifeline', JSON.stringify(lifeline), 'stdin');
  return {
    dataDir: required('--data-dir'),
    zone: required('--zone'),
    tokenFile: required('--token-file'),
    port: count('--port', 0, 65535) ?? 0,
    ...(scrubIntervalMs !== undefined ? { scrubIntervalMs } : {}),
    ...(scrubBytesPerSecond !== undefined ? { scrubBytesPerSecond } : {}),
    ...(lifeline !== undefined ? { lifeline } : {}),
  };
}

function bad(flag: string, received: string, expected: string) {
  return storageError('HASTACK_STORAGE_INVALID_ARGUMENT', `storage node ${flag} is ${received}; expected ${expected}`, { details: { flag } });
}
