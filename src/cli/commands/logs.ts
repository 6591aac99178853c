import { EXIT_OK, type CliIo } from '../io.ts';
import { connect, intFlag } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const { client } = connect(args);
  const lines = intFlag(args, 'lines', 1, 100_000) ?? 200;
  const id = args.positionals[0];
  const q = new URLSearchParams({ lines: String(lines), ...(id === undefined ? {} : { id }) });
  const r = await client.call<{ lines: string[] }>('GET', `/logs?${q.toString()}`);
  if (args.values['json'] === true) io.out(JSON.stringify(r));
  else for (const l of r.lines) io.out(l);
  return EXIT_OK;
}
