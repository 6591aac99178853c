/**
 * A region's database brought back by a second run over the same state folder (`npm start`, Ctrl-C,
 * `npm start` again): every node listens on a new port, and the standbys must follow the primary's.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { resolveSpec } from '../../../src/spec/index.ts';
import { startRegionDatabase, type RegionDatabase } from '../../../src/twin/region-database.ts';
import { removeStateDir } from '../../helpers/state-dir.ts';

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

describe('a second run over the same state folder', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hastack-db-test-'));
  chmodSync(stateDir, 0o711);
  const spec = resolveSpec({ name: 'ha', app: { start: { command: 'node' } } }, { configDir: stateDir });
  let db: RegionDatabase | undefined;
  after(async () => {
    await db?.stop();
    removeStateDir(stateDir);
  });

  it('GIVEN a replicated database that was stopped WHEN started again THEN its standby follows the primary on its new port and the data is there', async () => {
    db = await startRegionDatabase({ spec, stateDir });
    await db.waitUntilReplicated(60_000);
    await query(db.env()['DATABASE_URL']!, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    const firstPorts = db.status().nodes.map((n) => n.port);
    await db.stop();

    db = await startRegionDatabase({ spec, stateDir });
    await db.waitUntilReplicated(60_000);
    const s = db.status();
    assert.notDeepEqual(s.nodes.map((n) => n.port), firstPorts, 'the nodes listen on new ports');
    assert.equal(s.synchronousStandbys.length, 1, JSON.stringify(s.nodes));
    assert.deepEqual((await query(db.env()['DATABASE_URL']!, 'SELECT v FROM kept')).rows, [{ v: 42 }]);
  });
});
