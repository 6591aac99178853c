import { twinError } from '../../twin/control/errors.ts';
import type { FailoverRecord } from '../../twin/database/controller.ts';
import type { SnapshotInfo } from '../../twin/db/backups/index.ts';
import type { RestoreReport } from '../../twin/region-database.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { connect } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

const ACTIONS = ['failover', 'snapshot', 'snapshots', 'restore'] as const;

function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** `hastack db failover|snapshot|snapshots|restore`: RDS operations on the twin's database. */
export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const [action, extra] = args.positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `db: received ${JSON.stringify(action ?? '')}, expected one of ${ACTIONS.join(', ')}`);
  }
  if (extra !== undefined) throw twinError('HASTACK_CONTROL_BAD_REQUEST', `db ${action}: received an extra argument ${JSON.stringify(extra)}, expected none`);
  const json = args.values['json'] === true;
  const { client } = connect(args);
  switch (action) {
    case 'failover': {
      const { failover: f } = await client.call<{ failover: FailoverRecord }>('POST', '/db/failover', {});
      io.out(json ? JSON.stringify(f) : `failed over from ${f.from} to ${f.to} in ${f.ms} ms`);
      return EXIT_OK;
    }
    case 'snapshot': {
      const name = flag(args, 'name');
      const { snapshot: s } = await client.call<{ snapshot: SnapshotInfo }>('POST', '/db/snapshots', name === undefined ? {} : { name });
      io.out(json ? JSON.stringify(s) : `snapshot ${s.id} of ${s.node}: ${s.bytes} bytes, ${s.startedAt} → ${s.finishedAt}`);
      return EXIT_OK;
    }
    case 'snapshots': {
      const { snapshots } = await client.call<{ snapshots: SnapshotInfo[] }>('GET', '/db/snapshots');
      if (json) io.out(JSON.stringify(snapshots));
      else if (snapshots.length === 0) io.out('no snapshots yet');
      else for (const s of snapshots) io.out(`${s.id.padEnd(40)} ${s.kind.padEnd(9)} ${s.finishedAt}  ${s.bytes} bytes`);
      return EXIT_OK;
    }
    case 'restore': {
      const toTime = flag(args, 'to-time');
      if (toTime === undefined) throw twinError('HASTACK_CONTROL_BAD_REQUEST', 'db restore: missing --to-time, expected an ISO 8601 time such as 2026-11-23T10:15:00Z');
      const as = flag(args, 'as');
      const { restore: r } = await client.call<{ restore: RestoreReport }>('POST', '/db/restore', { toTime, ...(as === undefined ? {} : { as }) });
      if (json) io.out(JSON.stringify(r));
      else {
        io.out(`restored ${r.name} from ${r.snapshotId} in ${r.ms} ms`);
        io.out(`  asked for      ${r.requestedTime}`);
        io.out(`  recovery point ${r.recoveryPoint ?? '(no transaction after the snapshot)'}`);
        io.out(`  url            ${r.url}`);
      }
      return EXIT_OK;
    }
  }
  return EXIT_OK;
}
