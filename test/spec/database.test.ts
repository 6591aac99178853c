import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSpec, formatProblem, MANAGED_PARAMETERS, resolveSpec } from '../../src/spec/index.ts';
import { isHastackError } from '../../src/errors.ts';

const minimal = { name: 'shop', app: { start: { command: 'node', args: ['server.js'] } } };

function withDb(database: Record<string, unknown>, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...minimal, ...more, database };
}

function problems(config: unknown): string[] {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function accepted(config: unknown) {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  return r.spec;
}

describe('database section', () => {
  it('GIVEN a config without a database section WHEN resolved THEN the database gets every default', () => {
    const s = resolveSpec(minimal);
    assert.deepEqual(s.database, {
      engine: 'postgres',
      version: '16',
      deployment: 'multi-az-instance',
      backupRetentionDays: 7,
      backupWindow: '03:00-03:30',
      deletionProtection: true,
      storageGiB: 20,
      instanceClass: 'db.t4g.medium',
      parameters: {},
      strictSync: false,
    });
    assert.equal(s.twin.fidelity, 'fast');
    assert.deepEqual(s.twin.database, { probeIntervalMs: 500, probeTimeoutMs: 500, failureThreshold: 3 });
  });

  it('GIVEN a multi-az-cluster with nothing else set WHEN resolved THEN its defaults are ones RDS accepts for a cluster', () => {
    const s = accepted(withDb({ deployment: 'multi-az-cluster' }));
    assert.equal(s.database.instanceClass, 'db.m6gd.large');
    assert.equal(s.database.storageGiB, 100);
    assert.equal(s.database.backupRetentionDays, 7);
  });

  it('GIVEN a single-az database WHEN resolved THEN it keeps the instance defaults', () => {
    const s = accepted(withDb({ deployment: 'single-az' }));
    assert.equal(s.database.instanceClass, 'db.t4g.medium');
    assert.equal(s.database.storageGiB, 20);
  });

  it('GIVEN zero and false values WHEN resolved THEN they are kept, not replaced by defaults', () => {
    const s = accepted(withDb({ backupRetentionDays: 0, deletionProtection: false, strictSync: false }));
    assert.equal(s.database.backupRetentionDays, 0);
    assert.equal(s.database.deletionProtection, false);
  });

  it('GIVEN parameters of every kind WHEN resolved THEN values are strings PostgreSQL reads, booleans as on/off', () => {
    const s = accepted(
      withDb({
        parameters: { work_mem: '64MB', max_connections: 200, random_page_cost: 1.1, jit: false, log_connections: true, 'pg_stat_statements.track': 'all', search_path: '' },
      }),
    );
    assert.deepEqual(s.database.parameters, {
      work_mem: '64MB',
      max_connections: '200',
      random_page_cost: '1.1',
      jit: 'off',
      log_connections: 'on',
      'pg_stat_statements.track': 'all',
      search_path: '',
    });
  });

  it('GIVEN a resolved spec WHEN a caller tries to change a database parameter THEN it is frozen', () => {
    const s = accepted(withDb({ parameters: { work_mem: '4MB' } }));
    assert.throws(() => {
      (s.database.parameters as Record<string, string>)['work_mem'] = '1GB';
    }, TypeError);
  });

  it('GIVEN supported versions WHEN checked THEN a major or major.minor from 14 to 17 is accepted', () => {
    for (const version of ['14', '15', '16.4', '17', '17.10']) assert.equal(accepted(withDb({ version })).database.version, version);
  });

  it('GIVEN unsupported versions WHEN checked THEN each is refused naming what is allowed', () => {
    for (const version of ['13', '18', '16.', '16.x', 'v16', '']) {
      assert.deepEqual(problems(withDb({ version })), [
        `database.version: received ${JSON.stringify(version)}, expected a PostgreSQL major version 14 to 17, optionally with a minor, such as "16" or "16.4"`,
      ]);
    }
    assert.match(problems(withDb({ version: 16 }))[0]!, /^database\.version: received 16, expected a PostgreSQL version such as "16"/);
  });

  it('GIVEN an engine other than postgres WHEN checked THEN it is refused', () => {
    assert.deepEqual(problems(withDb({ engine: 'mysql' })), ['database.engine: received "mysql", expected "postgres" (the only engine)']);
  });

  it('GIVEN an unknown deployment WHEN checked THEN the three deployments are named', () => {
    assert.deepEqual(problems(withDb({ deployment: 'multi-az' })), [
      'database.deployment: received "multi-az", expected one of multi-az-instance, multi-az-cluster, single-az',
    ]);
  });

  it('GIVEN a retention outside 0–35 days WHEN checked THEN it is refused', () => {
    assert.deepEqual(problems(withDb({ backupRetentionDays: 36 })), ['database.backupRetentionDays: 36 is above the maximum 35 (days)']);
    assert.deepEqual(problems(withDb({ backupRetentionDays: -1 })), ['database.backupRetentionDays: -1 is below the minimum 0 (days)']);
  });

  it('GIVEN a malformed backup window WHEN checked THEN the expected form is named', () => {
    for (const backupWindow of ['3:00-3:30', '24:00-00:30', '03:60-04:30', '03:00 - 03:30', '03:00']) {
      assert.deepEqual(problems(withDb({ backupWindow })), [
        `database.backupWindow: received ${JSON.stringify(backupWindow)}, expected a UTC window "hh:mm-hh:mm" such as "03:00-03:30"`,
      ]);
    }
  });

  it('GIVEN a backup window under 30 minutes WHEN checked THEN its length is reported', () => {
    assert.deepEqual(problems(withDb({ backupWindow: '03:00-03:20' })), ['database.backupWindow: "03:00-03:20" lasts 20 minutes; expected at least 30']);
    assert.deepEqual(problems(withDb({ backupWindow: '23:50-00:10' })), ['database.backupWindow: "23:50-00:10" lasts 20 minutes; expected at least 30']);
    assert.deepEqual(problems(withDb({ backupWindow: '05:00-05:00' })), ['database.backupWindow: "05:00-05:00" lasts 0 minutes; expected at least 30']);
  });

  it('GIVEN backup windows of 30 minutes or more, one across midnight WHEN checked THEN they are accepted', () => {
    for (const backupWindow of ['03:00-03:30', '23:45-00:15', '22:00-02:00', '05:01-05:00']) {
      assert.equal(accepted(withDb({ backupWindow })).database.backupWindow, backupWindow);
    }
  });

  it('GIVEN storage outside 20–65536 GiB WHEN checked THEN it is refused', () => {
    assert.deepEqual(problems(withDb({ storageGiB: 10 })), ['database.storageGiB: 10 is below the minimum 20 (GiB)']);
    assert.deepEqual(problems(withDb({ storageGiB: 70000 })), ['database.storageGiB: 70000 is above the maximum 65536 (GiB)']);
    assert.deepEqual(problems(withDb({ storageGiB: 20.5 })), ['database.storageGiB: 20.5 is not a whole number (GiB)']);
  });

  it('GIVEN malformed instance classes WHEN checked THEN each is refused', () => {
    for (const instanceClass of ['t4g.medium', 'db.T4G.medium', 'db.t4g', 'db.t4g.medium.x', 'db..medium']) {
      assert.deepEqual(problems(withDb({ instanceClass })), [
        `database.instanceClass: received ${JSON.stringify(instanceClass)}, expected an RDS instance class such as "db.t4g.medium"`,
      ]);
    }
  });

  it('GIVEN a multi-az-cluster without backups WHEN checked THEN it is refused as RDS refuses it', () => {
    assert.deepEqual(problems(withDb({ deployment: 'multi-az-cluster', backupRetentionDays: 0 })), [
      'database.backupRetentionDays: 0 is not allowed with deployment "multi-az-cluster"; expected 1 to 35 (days), as a Multi-AZ DB cluster always keeps automated backups',
    ]);
  });

  it('GIVEN a multi-az-cluster with less than 100 GiB WHEN checked THEN it is refused', () => {
    assert.deepEqual(problems(withDb({ deployment: 'multi-az-cluster', storageGiB: 99 })), [
      'database.storageGiB: 99 is below 100, the least a "multi-az-cluster" allocates (GiB)',
    ]);
  });

  it('GIVEN a multi-az-cluster on a burstable class WHEN checked THEN the allowed families are named', () => {
    assert.deepEqual(problems(withDb({ deployment: 'multi-az-cluster', instanceClass: 'db.t4g.medium' })), [
      'database.instanceClass: "db.t4g.medium" is not available for deployment "multi-az-cluster"; expected a class of the m5d, m6gd, m6id, r5d, r6gd, r6id or x2iedn family, such as "db.m6gd.large"',
    ]);
    // m6g without local NVMe is not m6gd.
    assert.equal(problems(withDb({ deployment: 'multi-az-cluster', instanceClass: 'db.m6g.large' })).length, 1);
  });

  it('GIVEN a multi-az-cluster on every allowed family WHEN checked THEN it is accepted', () => {
    for (const family of ['m5d', 'm6gd', 'm6id', 'r5d', 'r6gd', 'r6id', 'x2iedn']) {
      const instanceClass = `db.${family}.xlarge`;
      assert.equal(accepted(withDb({ deployment: 'multi-az-cluster', instanceClass, storageGiB: 100, backupRetentionDays: 1 })).database.instanceClass, instanceClass);
    }
  });

  it('GIVEN a multi-az-cluster in two zones WHEN checked THEN it says a cluster needs three', () => {
    assert.deepEqual(problems(withDb({ deployment: 'multi-az-cluster' }, { zones: 2 })), [
      'database.deployment: "multi-az-cluster" needs 3 zones (a writer and two readers, each in its own zone), but zones is 2; expected zones 3 or more, or another deployment',
    ]);
    accepted(withDb({ deployment: 'multi-az-instance' }, { zones: 2 }));
  });

  it('GIVEN the cluster-only limits on an instance deployment WHEN checked THEN they do not apply', () => {
    accepted(withDb({ deployment: 'multi-az-instance', backupRetentionDays: 0, storageGiB: 20, instanceClass: 'db.t3.micro' }));
  });

  it('GIVEN strict synchronous commits on a single node WHEN checked THEN it is refused, since no commit could succeed', () => {
    assert.deepEqual(problems(withDb({ deployment: 'single-az', strictSync: true })), [
      'database.strictSync: true is not allowed with deployment "single-az": with no standby to wait for, every commit would be refused; expected false, or a multi-az deployment',
    ]);
    assert.equal(accepted(withDb({ deployment: 'multi-az-instance', strictSync: true })).database.strictSync, true);
  });

  it('GIVEN malformed parameter names WHEN checked THEN each is refused with its path', () => {
    const p = problems(withDb({ parameters: { Work_Mem: '4MB', '1abc': 1, 'a-b': 1, '.x': 1 } }));
    assert.equal(p.length, 4, p.join('\n'));
    for (const name of ['Work_Mem', '1abc', 'a-b', '.x']) {
      assert.ok(
        p.includes(`database.parameters.${name}: received ${JSON.stringify(name)}, expected a PostgreSQL parameter name: lowercase letters, digits, _ and ., not starting with a digit or .`),
        p.join('\n'),
      );
    }
  });

  it('GIVEN parameter values that are not settings WHEN checked THEN each is refused', () => {
    const p = problems(withDb({ parameters: { a: { x: 1 }, b: [1], c: null, d: Number.POSITIVE_INFINITY, e: Number.NaN, f: 'one\ntwo' } }));
    assert.deepEqual(p.sort(), [
      'database.parameters.a: received an object, expected a string, a finite number or true/false',
      'database.parameters.b: received a list, expected a string, a finite number or true/false',
      'database.parameters.c: received null, expected a string, a finite number or true/false',
      'database.parameters.d: received Infinity, expected a string, a finite number or true/false',
      'database.parameters.e: received NaN, expected a string, a finite number or true/false',
      'database.parameters.f: received "one\\ntwo", expected a value without line breaks or control characters',
    ]);
  });

  it('GIVEN parameters hastack manages WHEN checked THEN each is refused saying why', () => {
    assert.deepEqual(problems(withDb({ parameters: { wal_level: 'logical' } })), [
      'database.parameters.wal_level: received "logical", but wal_level cannot be set: hastack runs streaming replication and failover with it; remove it',
    ]);
    assert.deepEqual(problems(withDb({ parameters: { port: 5433 } })), [
      'database.parameters.port: received 5433, but port cannot be set: hastack decides where each node listens and where the endpoint leads; remove it',
    ]);
    assert.match(problems(withDb({ parameters: { archive_command: 'cp %p /x' } }))[0]!, /archives WAL for automated backups and point-in-time restore/);
  });

  it('GIVEN every managed parameter at once WHEN checked THEN each gets its own problem', () => {
    const names = Object.keys(MANAGED_PARAMETERS);
    for (const n of ['listen_addresses', 'port', 'data_directory', 'hba_file', 'archive_mode', 'archive_command', 'restore_command', 'primary_conninfo', 'synchronous_standby_names', 'wal_level', 'hot_standby']) {
      assert.ok(names.includes(n), `${n} is managed`);
    }
    const p = problems(withDb({ parameters: Object.fromEntries(names.map((n) => [n, 'x'])) }));
    assert.equal(p.length, names.length, p.join('\n'));
    for (const n of names) assert.ok(p.some((x) => x.startsWith(`database.parameters.${n}: received "x", but ${n} cannot be set: `)), n);
  });

  it('GIVEN a misspelt database field WHEN checked THEN it is an unknown field', () => {
    assert.deepEqual(problems(withDb({ storageGb: 100 })), ['database.storageGb: unknown field']);
  });
});

describe('twin database settings', () => {
  it('GIVEN fidelity aws and probe settings WHEN resolved THEN they are kept', () => {
    const s = accepted({ ...minimal, twin: { fidelity: 'aws', database: { probeIntervalMs: 200, probeTimeoutMs: 300, failureThreshold: 1 } } });
    assert.equal(s.twin.fidelity, 'aws');
    assert.deepEqual(s.twin.database, { probeIntervalMs: 200, probeTimeoutMs: 300, failureThreshold: 1 });
  });

  it('GIVEN an unknown fidelity WHEN checked THEN both are named', () => {
    assert.deepEqual(problems({ ...minimal, twin: { fidelity: 'slow' } }), ['twin.fidelity: received "slow", expected one of fast, aws']);
  });

  it('GIVEN probe settings out of range WHEN checked THEN each is refused with its unit', () => {
    const p = problems({ ...minimal, twin: { database: { probeIntervalMs: 99, probeTimeoutMs: 60001, failureThreshold: 0 } } });
    assert.deepEqual(p, [
      'twin.database.probeIntervalMs: 99 is below the minimum 100 (milliseconds)',
      'twin.database.probeTimeoutMs: 60001 is above the maximum 60000 (milliseconds)',
      'twin.database.failureThreshold: 0 is below the minimum 1 (probes)',
    ]);
    assert.deepEqual(problems({ ...minimal, twin: { database: { failureThreshold: 11 } } }), ['twin.database.failureThreshold: 11 is above the maximum 10 (probes)']);
  });

  it('GIVEN a probe timeout longer than the interval WHEN checked THEN it is accepted (probes never overlap)', () => {
    accepted({ ...minimal, twin: { database: { probeIntervalMs: 100, probeTimeoutMs: 5000 } } });
  });

  it('GIVEN probes that would leave a hung node unnoticed over 120 s WHEN checked THEN the detection time is reported', () => {
    assert.deepEqual(problems({ ...minimal, twin: { database: { probeIntervalMs: 5000, probeTimeoutMs: 8000, failureThreshold: 10 } } }), [
      'twin.database.probeTimeoutMs: 8000 with probeIntervalMs 5000 and failureThreshold 10 leaves a hung node unnoticed for 130000 ms; expected failureThreshold × (probeIntervalMs + probeTimeoutMs) at most 120000 (milliseconds)',
    ]);
    accepted({ ...minimal, twin: { database: { probeIntervalMs: 6000, probeTimeoutMs: 6000, failureThreshold: 10 } } });
  });
});

describe('database problems together', () => {
  it('GIVEN many database and twin mistakes WHEN checked THEN every one is reported at once', () => {
    const p = problems({
      ...minimal,
      zones: 2,
      database: {
        version: '13',
        deployment: 'multi-az-cluster',
        backupRetentionDays: 0,
        backupWindow: '23:50-00:10',
        storageGiB: 50,
        instanceClass: 'db.t4g.medium',
        strictSync: 'yes',
        parameters: { port: 5433, 'Bad-Name': 1, work_mem: '64MB', x: {} },
        colour: 'blue',
      },
      twin: { fidelity: 'slow', database: { probeIntervalMs: 50000, probeTimeoutMs: 20000, failureThreshold: 2 } },
    });
    const expected = [
      'database.version: received "13"',
      'database.strictSync: received "yes", expected true or false',
      'database.parameters.Bad-Name: received "Bad-Name"',
      'database.parameters.x: received an object',
      'database.colour: unknown field',
      'twin.fidelity: received "slow"',
      'database.backupWindow: "23:50-00:10" lasts 20 minutes',
      'database.deployment: "multi-az-cluster" needs 3 zones',
      'database.backupRetentionDays: 0 is not allowed with deployment "multi-az-cluster"',
      'database.storageGiB: 50 is below 100',
      'database.instanceClass: "db.t4g.medium" is not available for deployment "multi-az-cluster"',
      'database.parameters.port: received 5433, but port cannot be set',
      'twin.database.probeTimeoutMs: 20000 with probeIntervalMs 50000 and failureThreshold 2 leaves a hung node unnoticed for 140000 ms',
    ];
    assert.equal(p.length, expected.length, p.join('\n'));
    for (const e of expected) assert.ok(p.some((x) => x.startsWith(e)), `missing: ${e}\n${p.join('\n')}`);
  });

  it('GIVEN a database mistake WHEN resolved with resolveSpec THEN it throws HASTACK_SPEC_INVALID naming the field', () => {
    assert.throws(
      () => resolveSpec(withDb({ deployment: 'single-az', strictSync: true })),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_SPEC_INVALID' && e.source === 'user' && /database\.strictSync: true is not allowed/.test(e.message),
    );
  });
});
