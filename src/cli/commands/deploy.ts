import type { CliIo } from '../io.ts';
import type { ParsedArgs } from '../main.ts';
import { runToolkitCommand } from '../toolkit-command.ts';

/** `hastack deploy`: synthesize and deploy the four stacks in order (needs credentials and a bootstrapped account). */
export function run(args: ParsedArgs, io: CliIo): Promise<number> {
  return runToolkitCommand('deploy', args, io);
}
