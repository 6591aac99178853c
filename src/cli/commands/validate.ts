import { checkConfigFile, formatProblem } from '../../spec/index.ts';
import { EXIT_OK, EXIT_USER, type CliIo } from '../io.ts';
import { configPath } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const file = configPath(args);
  const r = await checkConfigFile(file);
  if (args.values['json'] === true) {
    io.out(JSON.stringify(r.ok ? { ok: true, spec: r.spec } : { ok: false, problems: r.problems }, null, 2));
    return r.ok ? EXIT_OK : EXIT_USER;
  }
  if (r.ok) {
    io.out('ok');
    return EXIT_OK;
  }
  io.err(`${file}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  for (const p of r.problems) io.out(formatProblem(p));
  return EXIT_USER;
}
