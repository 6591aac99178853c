import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RELOCATION_MARKER } from '../../src/twin/db/relocated.ts';
import { pidAlive } from '../../src/twin/state-dir.ts';
import { waitFor } from '../helpers/twin.ts';
import { removeStateDir } from '../helpers/state-dir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'bin/hastack.js');

/** A config in a temp folder that re-uses the guestbook with a free listener port. */
function tempConfig(): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hastack-cli-'));
  const config = path.join(dir, 'hastack.config.ts');
  const base = pathToFileURL(path.join(root, 'examples/guestbook/hastack.config.ts')).href;
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(config, `import base from '${base}';\nexport default { ...base, twin: { httpPort: 0 } };\n`);
  return { dir, config };
}

function hastack(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
}

/** Every pid in the process tree under `pid` (Linux /proc), for orphan checks. */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const kids = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number) as [number, number];
    kids.set(pp, [...(kids.get(pp) ?? []), p]);
  }
  const all: number[] = [];
  const walk = (p: number) => {
    for (const k of kids.get(p) ?? []) {
      all.push(k);
      walk(k);
    }
  };
  walk(pid);
  return all;
}

describe('hastack up --detach / status / env / fault / scale / logs / down', () => {
  let dir: string;
  let up: { endpoint: string; controlApi: string; stateDir: string; pid: number; zones: Record<string, { id: string; pid: number }[]> };
  before(() => {
    ({ dir } = tempConfig());
  });
  after(() => {
    hastack(['down', '--purge'], dir);
    removeStateDir(dir);
  });

  it('GIVEN the example WHEN `up --detach --json` THEN it returns with 3 instances, one per zone, all healthy', () => {
    const r = hastack(['up', '--detach', '--json'], dir);
    assert.equal(r.status, 0, r.stderr);
    up = JSON.parse(r.stdout);
    assert.match(up.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(up.controlApi, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(up.stateDir, path.join(dir, '.hastack'));
    assert.deepEqual(Object.keys(up.zones), ['local-1a', 'local-1b', 'local-1c']);
    for (const list of Object.values(up.zones)) assert.equal(list.length, 1);
  });

  it('GIVEN a running twin WHEN `up` again THEN it refuses with exit 1', () => {
    const r = hastack(['up', '--detach'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /already running/);
  });

  it('GIVEN a running twin WHEN `status --json` THEN it lists zones, instances with pid and port, and targets', () => {
    const r = hastack(['status', '--json'], dir);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.zones.length, 3);
    assert.ok(s.zones.every((z: { instances: { pid: number; port: number }[] }) => z.instances.every((i) => i.pid > 0 && i.port > 0)));
    assert.equal(s.targets.length, 3);
    assert.deepEqual(s.storage.nodes.map((n: { zone: string }) => n.zone), ['local-1a', 'local-1b', 'local-1c']);
    for (const n of s.storage.nodes as { pid: number; port: number; dataDir: string; zone: string }[]) {
      assert.ok(n.pid > 0 && n.port > 0 && n.dataDir === path.join(dir, '.hastack', 'storage', n.zone), JSON.stringify(n));
    }
    // The spec's alarms, by the names the AWS template gives them (guestbook-<id>).
    const alarms = (s.alarms as { name: string; state: string }[]).map((a) => a.name);
    for (const id of ['http5xxRate', 'latencyP99', 'unhealthyHosts', 'inServiceBelowMin', 'cpu', 'dbConnections']) assert.ok(alarms.includes(`guestbook-${id}`), `${id} in ${alarms.join(', ')}`);
    assert.ok((s.alarms as { state: string }[]).every((a) => ['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(a.state)));
    const text = hastack(['status'], dir);
    assert.match(text.stdout, /ZONE\s+INSTANCE\s+LIFECYCLE/);
    assert.match(text.stdout, /alarms: \d+ OK, \d+ ALARM, \d+ INSUFFICIENT_DATA/);
    assert.match(text.stdout, /storage: S3 endpoint http:\/\/127\.0\.0\.1:\d+, 3 replicas, write quorum 2; objects under-replicated: /);
  });

  it('GIVEN a running twin WHEN `env` THEN it prints export lines a shell can eval', () => {
    const r = hastack(['env'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^export AWS_REGION='local-1'$/m);
    assert.match(r.stdout, /^export DATABASE_URL='postgres/m);
    assert.match(r.stdout, /^export AWS_ENDPOINT_URL_S3='http:\/\/127\.0\.0\.1:\d+'$/m);
    assert.match(r.stdout, /^export AWS_ACCESS_KEY_ID='AKIA[A-Z0-9]{16}'$/m);
    assert.match(r.stdout, /^export BUCKET_GUESTBOOK_ATTACHMENTS='guestbook-attachments'$/m);
    const sh = spawnSync('sh', ['-c', `${r.stdout}\nprintf %s "$AWS_REGION"`], { encoding: 'utf8' });
    assert.equal(sh.stdout, 'local-1');
  });

  it('GIVEN awscli WHEN `aws s3 ls` runs after `eval "$(hastack env)"` THEN it lists the twin\'s bucket', (t) => {
    if (spawnSync('aws', ['--version']).status !== 0) {
      t.skip('awscli is not installed (Debian package awscli)');
      return;
    }
    const env = { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_CONFIG_FILE: path.join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'), AWS_EC2_METADATA_DISABLED: 'true' };
    const r = spawnSync('sh', ['-c', `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} env)" && aws s3 ls`], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /guestbook-attachments/);
  });

  it('GIVEN a running twin WHEN `fault storage-kill-node` and `storage repair` THEN the node is killed and a repair pass reports', async () => {
    const r = hastack(['fault', 'storage-kill-node', 'local-1b'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /killed storage node in local-1b/);
    await waitFor('the storage node to run again', () => {
      const s = JSON.parse(hastack(['status', '--json'], dir).stdout);
      return s.storage.nodes.every((n: { state: string }) => n.state === 'running');
    }, 30_000, 500);
    const repair = hastack(['storage', 'repair'], dir);
    assert.equal(repair.status, 0, repair.stderr);
    assert.match(repair.stdout, /^repair pass: \d+ records, copied \d+, failed 0, 0 under-replicated/);
    const bad = hastack(['fault', 'storage-kill-node', 'mars-1z'], dir);
    assert.match(bad.stdout + bad.stderr, /no storage node runs in mars-1z/);
  });

  it('GIVEN bad fault input WHEN run THEN exit 1 names what was wrong and the twin keeps serving', async () => {
    const r1 = hastack(['fault', 'kill-instance', 'i-nope'], dir);
    assert.equal(r1.status, 1);
    assert.match(r1.stderr, /no running instance "i-nope"/);
    const r2 = hastack(['fault', 'zone-outage', 'mars-1z'], dir);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /unknown zone "mars-1z"/);
    const r3 = hastack(['scale', '--desired', '50'], dir);
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, /outside min 3 \.\. max 9/);
    assert.equal((await fetch(up.endpoint)).status, 200);
  });

  it('GIVEN an instance WHEN `fault kill-instance` THEN it is replaced and `logs` shows an instance\'s output', async () => {
    const victim = up.zones['local-1a']![0]!.id;
    const r = hastack(['fault', 'kill-instance', victim], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`killed instance ${victim}`));
    await waitFor('a new InService instance in local-1a', () => {
      const s = JSON.parse(hastack(['status', '--json'], dir).stdout);
      const a = s.zones.find((z: { name: string }) => z.name === 'local-1a');
      return a.instances.some((i: { id: string; lifecycle: string }) => i.id !== victim && i.lifecycle === 'InService');
    }, 60_000, 500);
    const other = up.zones['local-1b']![0]!.id;
    const logs = hastack(['logs', other], dir);
    assert.equal(logs.status, 0, logs.stderr);
    assert.ok(logs.stdout.length > 0);
    const events = hastack(['logs'], dir);
    assert.match(events.stdout, /killed instance/);
  });

  it('GIVEN a running twin WHEN `down` THEN the supervisor and every child exit and the card is gone', async () => {
    const kids = descendants(up.pid);
    assert.ok(kids.length >= 4, `expected instances and a database under the supervisor, saw ${kids.length}`);
    const r = hastack(['down'], dir);
    assert.equal(r.status, 0, r.stderr);
    await waitFor('no process left', () => ![up.pid, ...kids].some(pidAlive), 15_000);
    assert.ok(!existsSync(path.join(dir, '.hastack', 'twin.json')));
    const again = hastack(['status'], dir);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no twin is running/);
  });

  it('GIVEN a stopped twin WHEN `down --purge` THEN its state folder and every database folder relocated out of it are gone', () => {
    const ours = (): string[] =>
      readdirSync(tmpdir())
        .filter((n) => /^hastack-(db|backups)-/.test(n))
        .filter((n) => {
          const marker = path.join(tmpdir(), n, RELOCATION_MARKER);
          return existsSync(marker) && readFileSync(marker, 'utf8').startsWith(dir + path.sep);
        });
    const relocated = ours();
    // As root, PostgreSQL runs as its own user, which cannot enter this 0700 test folder.
    if (process.getuid?.() === 0) assert.ok(relocated.length > 0, 'the database files were relocated under the temp folder');
    const r = hastack(['down', '--purge'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(path.join(dir, '.hastack')));
    assert.deepEqual(ours(), []);
    for (const n of relocated) assert.match(r.stdout, new RegExp(`removed .*${n}`));
  });
});

describe('killing the supervisor', () => {
  it('GIVEN `hastack up` in the foreground WHEN it is SIGKILLed THEN no instance, database or helper process is left', async () => {
    const { dir } = tempConfig();
    const child = spawn(process.execPath, [BIN, 'up', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.resume();
      await waitFor('the twin to be up', () => out.includes('"endpoint"'), 120_000, 200);
      const tree = descendants(child.pid!);
      const reaperPid = (JSON.parse(readFileSync(path.join(dir, '.hastack', 'twin.json'), 'utf8')) as { reaperPid: number }).reaperPid;
      const all = [...tree, reaperPid];
      assert.ok(tree.length >= 4, `expected instances and a database, saw ${tree.length}`);
      child.kill('SIGKILL');
      await waitFor('every process to be gone', () => !all.some(pidAlive), 20_000, 200);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      removeStateDir(dir);
    }
  });
});
