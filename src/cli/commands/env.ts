import { EXIT_OK, type CliIo } from '../io.ts';
import { connect } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

/** Single-quotes a value for sh: `eval "$(hastack env)"` must not run anything in it. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const { client } = connect(args);
  const { env } = await client.call<{ env: Record<string, string> }>('GET', '/env');
  if (args.values['json'] === true) io.out(JSON.stringify(env, null, 2));
  else for (const [k, v] of Object.entries(env)) io.out(`export ${k}=${shellQuote(v)}`);
  return EXIT_OK;
}
