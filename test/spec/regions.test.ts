import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAwsSpec, checkSpec, formatProblem, regionZones, resolveSpec } from '../../src/spec/index.ts';
import { defaultZones, REGION_ZONE_LETTERS, usableZoneCount } from '../../src/spec/regions.ts';

const minimal = { name: 'shop', app: { start: { command: 'node', args: ['server.js'] } } };

function problems(config: unknown): string[] {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('regions and zones', () => {
  it('GIVEN regions WHEN their zones are looked up THEN known ones list their zone names and others give undefined', () => {
    const cases: { region: string; zones: readonly string[] | undefined }[] = [
      { region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'] },
      { region: 'ap-northeast-1', zones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] },
      { region: 'ca-central-1', zones: ['ca-central-1a', 'ca-central-1b', 'ca-central-1d'] },
      { region: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      { region: 'xx-nowhere-1', zones: undefined },
      { region: 'us-gov-west-1', zones: undefined },
      { region: 'toString', zones: undefined },
    ];
    for (const c of cases) assert.deepEqual(regionZones(c.region), c.zones, c.region);
  });

  it('GIVEN a zone count WHEN zones are derived THEN they are the region\'s first zones, by letter where unknown', () => {
    const cases: { region: string; count: number; zones: string[] }[] = [
      { region: 'us-east-1', count: 3, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      { region: 'ap-northeast-1', count: 3, zones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] },
      { region: 'ca-central-1', count: 2, zones: ['ca-central-1a', 'ca-central-1b'] },
      { region: 'xx-nowhere-1', count: 2, zones: ['xx-nowhere-1a', 'xx-nowhere-1b'] },
      { region: 'eu-west-1', count: 4, zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1d'] },
    ];
    for (const c of cases) assert.deepEqual(defaultZones(c.region, c.count), c.zones, `${c.region} × ${c.count}`);
  });

  it('GIVEN every known region WHEN a stack lists as many of its zones as an account can use THEN the spec and the AWS checks accept it', () => {
    for (const region of Object.keys(REGION_ZONE_LETTERS)) {
      const zones = regionZones(region)!;
      const config = { ...minimal, region, zones: zones.slice(0, Math.min(6, usableZoneCount(region)!)) };
      const r = checkSpec(config, { configDir: '/srv/shop' });
      assert.ok(r.ok, `${region}: ${r.ok ? '' : r.problems.map(formatProblem).join('; ')}`);
      assert.deepEqual(checkAwsSpec(r.spec), [], region);
      assert.ok(zones.length >= 3, `${region} has ${zones.length} zones`);
      assert.ok(usableZoneCount(region)! >= 2, `${region}: an account can use ${usableZoneCount(region)} zones`);
    }
  });

  it('GIVEN a count of zones WHEN resolved THEN AWS zones come from the region and the twin\'s from the count', () => {
    const s = resolveSpec({ ...minimal, region: 'ap-northeast-1', zones: 2 });
    assert.deepEqual(s.zones, ['ap-northeast-1a', 'ap-northeast-1c']);
    assert.deepEqual(s.twin.zones, ['local-1a', 'local-1b']);
    assert.deepEqual(s.capacity, { min: 2, desired: 2, max: 6 });
  });

  it('GIVEN zones listed by name WHEN resolved THEN they are kept in order, and the twin\'s names and the capacity follow their count', () => {
    const s = resolveSpec({ ...minimal, region: 'us-west-2', zones: ['us-west-2d', 'us-west-2b'], twin: { region: 'lab-9' } });
    assert.deepEqual(s.zones, ['us-west-2d', 'us-west-2b']);
    assert.deepEqual(s.twin.zones, ['lab-9a', 'lab-9b']);
    assert.deepEqual(s.capacity, { min: 2, desired: 2, max: 6 });
    assert.equal(s.storage.replicas, 2);
  });

  it('GIVEN a zones list that breaks a rule WHEN checked THEN the problem names the zone, the value and what is allowed', () => {
    const cases: { zones: unknown; problem: string }[] = [
      { zones: ['us-east-1a'], problem: 'zones: received a list of 1 zone, expected 2 to 6 zone names' },
      { zones: [], problem: 'zones: received a list of 0 zones, expected 2 to 6 zone names' },
      { zones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f', 'us-east-1g'], problem: 'zones: received a list of 7 zones, expected 2 to 6 zone names' },
      { zones: ['us-east-1a', 'use1-az1'], problem: 'zones[1]: received "use1-az1", expected a zone name such as "us-east-1a"' },
      { zones: ['us-east-1a', 'US-EAST-1B'], problem: 'zones[1]: received "US-EAST-1B", expected a zone name such as "us-east-1a"' },
      { zones: ['us-east-1a', 'us-east-1b', 'us-east-1a'], problem: 'zones[2]: "us-east-1a" is also zones[0]; expected each zone once' },
      { zones: 1, problem: 'zones: 1 is below the minimum 2 (zones)' },
      { zones: 7, problem: 'zones: 7 is above the maximum 6 (zones)' },
      {
        zones: 'us-east-1a',
        problem: 'zones: received "us-east-1a", expected a whole number of zones from 2 to 6, or a list of 2 to 6 zone names such as ["us-east-1a", "us-east-1b"]',
      },
    ];
    for (const c of cases) assert.deepEqual(problems({ ...minimal, zones: c.zones }), [c.problem], JSON.stringify(c.zones));
  });

  it('GIVEN a cluster database WHEN two zones are listed THEN it is refused as with a count of two', () => {
    const p = problems({ ...minimal, zones: ['us-east-1a', 'us-east-1b'], database: { deployment: 'multi-az-cluster' } });
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0]!, /^database\.deployment: "multi-az-cluster" needs 3 zones/);
  });
});
