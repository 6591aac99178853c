import path from 'node:path';
import { synthesize, type SynthesisResult } from '../aws/synthesize.ts';
import { formatProblem, loadSpec } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/types.ts';
import { configPath } from './connect.ts';
import type { CliIo } from './io.ts';
import type { ParsedArgs } from './main.ts';

/** The assembly folder: --out, else cdk.out beside the config. */
export function assemblyDir(args: ParsedArgs): string {
  const out = args.values['out'];
  return typeof out === 'string' ? path.resolve(out) : path.join(path.dirname(configPath(args)), 'cdk.out');
}

/** Loads the spec and synthesizes it, progress and warnings on stderr; shared by synth, diff, deploy, destroy. */
export async function synthForCli(args: ParsedArgs, io: CliIo): Promise<{ spec: ResolvedSpec; result: SynthesisResult }> {
  const spec = await loadSpec(configPath(args));
  const result = await synthesize(spec, {
    outdir: assemblyDir(args),
    build: args.values['skip-build'] !== true,
    onProgress: (l) => io.err(l),
  });
  for (const w of result.warnings) io.err(`warning: ${formatProblem(w)}`);
  return { spec, result };
}
