import { rmSync } from 'node:fs';
import { removeRelocatedFolders } from '../../twin/db/relocated.ts';
import { pidAlive, readLiveCard } from '../../twin/state-dir.ts';
import { twinError } from '../../twin/control/errors.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { connect, stateDirOf } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const dir = stateDirOf(args);
  const purge = args.values['purge'] === true;
  if (readLiveCard(dir) === undefined) {
    if (!purge) throw twinError('HASTACK_TWIN_NOT_RUNNING', `no twin is running (no live supervisor in ${dir})`);
  } else {
    const { card, client } = connect(args);
    io.err(`stopping ${card.name} (draining targets first)…`);
    await client.call('POST', '/shutdown');
    const deadline = Date.now() + 10 * 60_000;
    while (pidAlive(card.pid)) {
      if (Date.now() > deadline) throw twinError('HASTACK_TWIN_STOP_TIMEOUT', `the supervisor (pid ${card.pid}) did not stop within 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    io.out(`stopped ${card.name}`);
  }
  if (purge) {
    // Database files PostgreSQL's user could not keep inside the state folder live in the OS temp folder.
    for (const relocated of removeRelocatedFolders(dir)) io.out(`removed ${relocated}`);
    rmSync(dir, { recursive: true, force: true });
    io.out(`removed ${dir}`);
  }
  return EXIT_OK;
}
