import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isHastackError } from '../errors.ts';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USER, processIo, type CliIo } from './io.ts';
import { USAGE } from './usage.ts';

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
}

export type Command = (args: ParsedArgs, io: CliIo) => Promise<number>;

const OPTIONS = {
  config: { type: 'string' },
  detach: { type: 'boolean' },
  json: { type: 'boolean' },
  purge: { type: 'boolean' },
  seconds: { type: 'string' },
  desired: { type: 'string' },
  lines: { type: 'string' },
  fidelity: { type: 'string' },
  storage: { type: 'boolean' },
  name: { type: 'string' },
  'to-time': { type: 'string' },
  as: { type: 'string' },
  target: { type: 'string' },
  out: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  'skip-build': { type: 'boolean' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Each command is its own module, loaded only when used. */
const COMMANDS: Record<string, () => Promise<{ run: Command }>> = {
  up: () => import('./commands/up.ts'),
  status: () => import('./commands/status.ts'),
  down: () => import('./commands/down.ts'),
  logs: () => import('./commands/logs.ts'),
  env: () => import('./commands/env.ts'),
  fault: () => import('./commands/fault.ts'),
  scale: () => import('./commands/scale.ts'),
  db: () => import('./commands/db.ts'),
  storage: () => import('./commands/storage.ts'),
  validate: () => import('./commands/validate.ts'),
  synth: () => import('./commands/synth.ts'),
  diff: () => import('./commands/diff.ts'),
  deploy: () => import('./commands/deploy.ts'),
  destroy: () => import('./commands/destroy.ts'),
};

/** The whole CLI: argv in, exit code out. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`hastack: ${(e as Error).message}`);
    io.err('Run `hastack --help` for usage.');
    return EXIT_USER;
  }
  const [name, ...rest] = parsed.positionals;
  if (parsed.values['help'] === true || name === undefined || name === 'help') {
    io.out(USAGE);
    return name === undefined && parsed.values['help'] !== true ? EXIT_USER : EXIT_OK;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    io.err(`hastack: unknown command ${JSON.stringify(name)}; expected one of ${Object.keys(COMMANDS).join(', ')}`);
    return EXIT_USER;
  }
  try {
    const { run } = await load();
    return await run({ positionals: rest, values: parsed.values }, io);
  } catch (e) {
    if (isHastackError(e)) {
      if (parsed.values['json'] === true) io.out(JSON.stringify({ error: { code: e.code, message: e.message, details: e.details ?? {} } }));
      io.err(`hastack: ${e.message} [${e.code}]`);
      return e.source === 'user' ? EXIT_USER : EXIT_INTERNAL;
    }
    io.err(`hastack: internal error: ${(e as Error).stack ?? String(e)}`);
    return EXIT_INTERNAL;
  }
}
