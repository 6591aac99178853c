import type { CliIo } from '../io.ts';
import type { ParsedArgs } from '../main.ts';
import { runToolkitCommand } from '../toolkit-command.ts';

/** `hastack diff`: what deploy would change, against the deployed stacks (needs credentials). */
export function run(args: ParsedArgs, io: CliIo): Promise<number> {
  return runToolkitCommand('diff', args, io);
}
