import { runToolkit, type ToolkitAction } from '../aws/toolkit.ts';
import { synthForCli } from './aws-synth.ts';
import { EXIT_OK, type CliIo } from './io.ts';
import type { ParsedArgs } from './main.ts';

/** diff, deploy and destroy: synthesize, then hand the assembly to the CDK toolkit; its progress goes to stderr. */
export async function runToolkitCommand(action: ToolkitAction, args: ParsedArgs, io: CliIo): Promise<number> {
  const { spec, result } = await synthForCli(args, io);
  await runToolkit(action, {
    spec,
    assemblyDir: result.outdir,
    all: args.values['all'] === true,
    yes: args.values['yes'] === true,
    onMessage: (m) => (m.level === 'result' ? io.out(m.message) : io.err(m.message)),
  });
  return EXIT_OK;
}
