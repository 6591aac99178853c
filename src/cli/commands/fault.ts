import { twinError } from '../../twin/control/errors.ts';
import { MAX_FAULT_SECONDS } from '../../twin/control/routes.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { connect, intFlag } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

const KINDS = {
  'kill-instance': { field: 'id', what: 'an instance id' },
  'hang-instance': { field: 'id', what: 'an instance id' },
  'resume-instance': { field: 'id', what: 'an instance id' },
  'zone-outage': { field: 'zone', what: 'a zone name' },
  'zone-restore': { field: 'zone', what: 'a zone name' },
  'db-kill-primary': { field: undefined, what: '' },
  'db-hang-primary': { field: undefined, what: '' },
  'db-kill-standby': { field: undefined, what: '' },
  'storage-kill-node': { field: 'zone', what: 'a zone name', optional: true },
} as const;

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const [kind, target] = args.positionals;
  const spec = kind === undefined ? undefined : KINDS[kind as keyof typeof KINDS];
  if (spec === undefined) {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `fault: received ${JSON.stringify(kind ?? '')}, expected one of ${Object.keys(KINDS).join(', ')}`);
  }
  if (spec.field === undefined) {
    if (target !== undefined) throw twinError('HASTACK_CONTROL_BAD_REQUEST', `fault ${kind}: received an extra argument ${JSON.stringify(target)}, expected none`);
  } else if (target === undefined && !('optional' in spec)) {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `fault ${kind}: missing ${spec.what}`);
  }
  const seconds = intFlag(args, 'seconds', 1, MAX_FAULT_SECONDS);
  const { client } = connect(args);
  const body = { ...(spec.field === undefined || target === undefined ? {} : { [spec.field]: target }), ...(seconds === undefined ? {} : { seconds }) };
  const r = await client.call<{ message: string }>('POST', `/faults/${kind}`, body);
  io.out(args.values['json'] === true ? JSON.stringify(r) : r.message);
  return EXIT_OK;
}
