import type { TwinStatus } from '../../twin/status.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { connect } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';
import { renderStatus } from '../render-status.ts';

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const { client } = connect(args);
  const s = await client.call<TwinStatus>('GET', '/status');
  if (args.values['json'] === true) io.out(JSON.stringify(s, null, 2));
  else for (const l of renderStatus(s)) io.out(l);
  return EXIT_OK;
}
