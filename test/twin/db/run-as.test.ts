import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../src/errors.ts';
import { checkAppDatabaseInput } from '../../../src/twin/db/app-database.ts';
import { parsePasswd, resolveRunAsUser, userMay } from '../../../src/twin/db/run-as.ts';
import { scramSha256Verifier } from '../../../src/twin/db/scram.ts';

const pg = { uid: 101, gid: 104 };

describe('userMay (which permission bits apply to the unprivileged user)', () => {
  const cases: { name: string; file: { uid: number; gid: number; mode: number }; need: number; want: boolean }[] = [
    { name: 'owner with u+x', file: { uid: 101, gid: 0, mode: 0o700 }, need: 1, want: true },
    { name: 'group member, g-x only o+x', file: { uid: 0, gid: 104, mode: 0o701 }, need: 1, want: false },
    { name: 'group member with g+x', file: { uid: 0, gid: 104, mode: 0o710 }, need: 1, want: true },
    { name: 'stranger with o+x (a 0755 folder)', file: { uid: 0, gid: 0, mode: 0o755 }, need: 1, want: true },
    { name: 'stranger on a 0700 folder (/root)', file: { uid: 0, gid: 0, mode: 0o700 }, need: 1, want: false },
    { name: 'stranger wanting r+x on 0711', file: { uid: 0, gid: 0, mode: 0o711 }, need: 5, want: false },
    { name: 'owner of a 0077 file (owner bits win, even when others may)', file: { uid: 101, gid: 0, mode: 0o077 }, need: 1, want: false },
  ];
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN checked THEN ${c.want ? 'allowed' : 'refused'}`, () => {
      assert.equal(userMay({ ...c.file, mode: 0o40000 | c.file.mode }, pg, c.need), c.want);
    });
  }
});

describe('resolveRunAsUser', () => {
  it('GIVEN a process that is not root WHEN resolving THEN PostgreSQL runs as ourselves (undefined)', async () => {
    assert.equal(await resolveRunAsUser(() => 1000), undefined);
  });

  it('GIVEN /etc/passwd text WHEN parsing a user THEN uid and gid are read and unknown users are undefined', () => {
    const text = 'root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104::/var/lib/postgresql:/bin/bash\n';
    assert.deepEqual(parsePasswd(text, 'postgres'), { name: 'postgres', uid: 101, gid: 104 });
    assert.equal(parsePasswd(text, 'nobody'), undefined);
  });
});

describe('app database input', () => {
  it('GIVEN plain names and a long password WHEN checked THEN no error', () => {
    checkAppDatabaseInput('guestbook', 'guestbook_app', 'abcdefgh12345', 'postgres');
  });

  it('GIVEN a quoted name, the superuser as owner and a short password WHEN checked THEN one coded error lists every problem without echoing the password', () => {
    assert.throws(
      () => checkAppDatabaseInput('Guest"book', 'postgres', 'secret1', 'postgres'),
      (e: unknown) => {
        assert.ok(isHastackError(e));
        assert.equal(e.code, 'HASTACK_DB_INVALID_NAME');
        assert.match(e.message, /database "Guest\\"book" must be a lowercase identifier/);
        assert.match(e.message, /owner must not be the superuser/);
        assert.match(e.message, /received 7 characters/);
        assert.doesNotMatch(e.message, /secret1/);
        return true;
      },
    );
  });
});

describe('SCRAM verifier', () => {
  it('GIVEN a password and a fixed salt WHEN hashed THEN the verifier has PostgreSQL\'s shape and is deterministic', () => {
    const salt = Buffer.alloc(16, 7);
    const v = scramSha256Verifier('correct horse', salt);
    assert.match(v, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    assert.equal(v, scramSha256Verifier('correct horse', salt));
    assert.notEqual(v, scramSha256Verifier('correct horse'));
  });
});
