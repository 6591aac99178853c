import { twinError } from '../../twin/control/errors.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { connect, intFlag } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const desired = intFlag(args, 'desired', 0, 1000);
  if (desired === undefined) throw twinError('HASTACK_CONTROL_BAD_REQUEST', '--desired: required, expected a whole number');
  const { client } = connect(args);
  const r = await client.call<{ desired: number }>('POST', '/scale', { desired });
  io.out(args.values['json'] === true ? JSON.stringify(r) : `desired capacity is now ${r.desired}`);
  return EXIT_OK;
}
