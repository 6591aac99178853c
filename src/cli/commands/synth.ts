import { synthForCli } from '../aws-synth.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import type { ParsedArgs } from '../main.ts';

/** `hastack synth [--out dir] [--skip-build] [--json]`: the AWS templates, offline. */
export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const { result } = await synthForCli(args, io);
  if (args.values['json'] === true) {
    io.out(JSON.stringify({ outdir: result.outdir, stacks: result.stacks, warnings: result.warnings, acknowledged: result.acknowledged.length, nistFindings: result.nist.length, reports: result.reports, durationMs: result.durationMs }, null, 2));
    return EXIT_OK;
  }
  for (const s of result.stacks) io.out(`${s.name}: ${s.resourceCount} resources → ${s.templateFile}`);
  io.out(`cdk-nag AwsSolutions: 0 unacknowledged findings, ${result.acknowledged.length} acknowledged with reasons → ${result.reports.acknowledgments}`);
  io.out(`cdk-nag NIST 800-53 R5 (report only): ${result.nist.length} findings → ${result.reports.nistCsv}`);
  io.err(`synthesized in ${(result.durationMs / 1000).toFixed(1)} s`);
  return EXIT_OK;
}
