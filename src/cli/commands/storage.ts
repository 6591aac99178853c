import { twinError } from '../../twin/control/errors.ts';
import type { RepairPass } from '../../twin/storage/repairer.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { connect } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

/** `hastack storage repair`: one anti-entropy pass over the storage nodes, now. */
export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const [action, extra] = args.positionals;
  if (action !== 'repair') throw twinError('HASTACK_CONTROL_BAD_REQUEST', `storage: received ${JSON.stringify(action ?? '')}, expected repair`);
  if (extra !== undefined) throw twinError('HASTACK_CONTROL_BAD_REQUEST', `storage repair: received an extra argument ${JSON.stringify(extra)}, expected none`);
  const { client } = connect(args);
  const { repair: r } = await client.call<{ repair: RepairPass }>('POST', '/storage/repair', {});
  io.out(
    args.values['json'] === true
      ? JSON.stringify(r)
      : `repair pass: ${r.records} records, copied ${r.copied}, failed ${r.failed}, ${r.underReplicated} under-replicated${r.unreachable.length > 0 ? `, unreachable: ${r.unreachable.join(', ')}` : ''} (${r.ms} ms)`,
  );
  return EXIT_OK;
}
