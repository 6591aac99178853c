/**
 * `hastack validate`: checks a config against the spec's rules and, unless `--target twin`, against
 * the rules only AWS enforces, listing the warnings AWS would deploy with. Problems go to stdout
 * (exit 1), warnings to stderr (exit 0 when they are all there is).
 */
import { awsWarnings, checkAwsSpec, checkConfigFile, formatProblem, type SpecProblem } from '../../spec/index.ts';
import { EXIT_OK, EXIT_USER, type CliIo } from '../io.ts';
import { configPath } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

const TARGETS = ['twin', 'aws', 'all'] as const;
type Target = (typeof TARGETS)[number];

function isTarget(v: unknown): v is Target {
  return TARGETS.includes(v as Target);
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const target = args.values['target'] ?? 'all';
  if (!isTarget(target)) {
    io.err(`hastack validate: --target: received ${JSON.stringify(target)}, expected twin, aws or all`);
    return EXIT_USER;
  }
  const file = configPath(args);
  const json = args.values['json'] === true;
  const r = await checkConfigFile(file);
  if (!r.ok) {
    if (json) {
      io.out(JSON.stringify({ ok: false, problems: r.problems }, null, 2));
      return EXIT_USER;
    }
    io.err(`${file}: ${plural(r.problems.length, 'problem')}`);
    for (const p of r.problems) io.out(formatProblem(p));
    return EXIT_USER;
  }
  const aws: { problems: SpecProblem[]; warnings: SpecProblem[] } | undefined =
    target === 'twin' ? undefined : { problems: checkAwsSpec(r.spec), warnings: awsWarnings(r.spec) };
  const ok = aws === undefined || aws.problems.length === 0;
  if (json) {
    io.out(JSON.stringify({ ok, spec: r.spec, ...(aws === undefined ? {} : { aws }) }, null, 2));
    return ok ? EXIT_OK : EXIT_USER;
  }
  for (const w of aws?.warnings ?? []) io.err(`warning: ${formatProblem(w)}`);
  if (ok) {
    io.out('ok');
    return EXIT_OK;
  }
  io.err(`${file}: ${plural(aws.problems.length, 'problem')} on AWS`);
  for (const p of aws.problems) io.out(`aws: ${formatProblem(p)}`);
  return EXIT_USER;
}
