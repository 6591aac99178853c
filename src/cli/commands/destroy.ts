import { selectedStacks } from '../../aws/toolkit.ts';
import { loadSpec } from '../../spec/index.ts';
import { configPath } from '../connect.ts';
import { EXIT_USER, type CliIo } from '../io.ts';
import type { ParsedArgs } from '../main.ts';
import { runToolkitCommand } from '../toolkit-command.ts';
import { wordList } from '../../util/word-list.ts';

/**
 * `hastack destroy --yes [--all]`: removes the app and monitoring stacks; with --all also the data
 * and network stacks (the data stack is termination-protected and the database deletion-protected:
 * docs/aws.md says how to lift both first; buckets are kept either way).
 */
export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.values['yes'] !== true) {
    const spec = await loadSpec(configPath(args));
    const names = selectedStacks(spec, 'destroy', args.values['all'] === true);
    io.err(`hastack: destroy deletes ${wordList(names, 'and')} in ${spec.region}; run it again with --yes to confirm`);
    return EXIT_USER;
  }
  return runToolkitCommand('destroy', args, io);
}
