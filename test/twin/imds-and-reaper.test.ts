import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ImdsServer } from '../../src/twin/compute/imds-server.ts';
import { INSTANCE_ID_PATTERN, newInstanceId } from '../../src/twin/compute/instance-id.ts';
import { pidAlive } from '../../src/twin/state-dir.ts';

describe('IMDSv2 endpoint', () => {
  const id = newInstanceId();
  const imds = new ImdsServer({ instanceId: id, availabilityZone: 'local-1b', region: 'local-1', instanceType: 't3.micro', localIpv4: '127.0.0.1', amiId: 'ami-0', launchedAt: 0 });
  after(() => imds.close());

  it('GIVEN a new instance id WHEN made THEN it is i- and 17 hex digits', () => {
    assert.match(id, INSTANCE_ID_PATTERN);
  });

  it('GIVEN a token from PUT /latest/api/token WHEN reading metadata THEN it answers the instance id and zone', async () => {
    const base = await imds.start();
    const token = await (await fetch(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    const get = (p: string) => fetch(`${base}/latest/meta-data/${p}`, { headers: { 'x-aws-ec2-metadata-token': token } });
    assert.equal(await (await get('instance-id')).text(), id);
    assert.equal(await (await get('placement/availability-zone')).text(), 'local-1b');
    assert.equal((await get('no-such-thing')).status, 404);
  });

  it('GIVEN no token WHEN reading metadata THEN it refuses with 401, as IMDSv2-required instances do', async () => {
    const r = await fetch(`${imds.endpoint}/latest/meta-data/instance-id`);
    assert.equal(r.status, 401);
  });

  it('GIVEN a bad TTL WHEN asking for a token THEN it answers 400', async () => {
    const r = await fetch(`${imds.endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '999999' } });
    assert.equal(r.status, 400);
  });
});

describe('reaper', () => {
  it('GIVEN a host with a registered process group and temporary folder WHEN the host is SIGKILLed THEN the group is ended and the folder removed', async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../fixtures/reaper-host.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => host.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    const [group, reaper, folder] = line.trim().split(' ') as [string, string, string];
    const [groupPid, reaperPid] = [Number(group), Number(reaper)];
    assert.ok(pidAlive(groupPid));
    assert.ok(existsSync(folder));
    try {
      host.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while ((pidAlive(groupPid) || pidAlive(reaperPid) || existsSync(folder)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const leftovers = [groupPid, reaperPid].filter(pidAlive);
      for (const p of leftovers) process.kill(p, 'SIGKILL');
      assert.deepEqual(leftovers, [], 'process left behind after its host was killed');
      assert.equal(existsSync(folder), false, 'the registered folder outlived its host');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
