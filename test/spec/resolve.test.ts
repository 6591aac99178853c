import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSpec, formatProblem, resolveSpec } from '../../src/spec/index.ts';
import { isHastackError } from '../../src/errors.ts';

const minimal = { name: 'shop', app: { start: { command: 'node', args: ['server.js'] } } };

function problems(config: unknown): string[] {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('resolveSpec', () => {
  it('GIVEN a minimal config WHEN resolved THEN every default is applied once', () => {
    const s = resolveSpec(minimal, { configDir: '/srv/shop' });
    assert.deepEqual(s.zones, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.deepEqual(s.twin.zones, ['local-1a', 'local-1b', 'local-1c']);
    assert.deepEqual(s.capacity, { min: 3, desired: 3, max: 9 });
    assert.deepEqual(s.loadBalancer.healthCheck, { path: '/readyz', interval: 5, timeout: 4, healthyThreshold: 2, unhealthyThreshold: 2, successCodes: '200' });
    assert.equal(s.loadBalancer.algorithm, 'round_robin');
    assert.equal(s.loadBalancer.deregistrationDelay, 30);
    assert.equal(s.loadBalancer.idleTimeout, 60);
    assert.equal(s.loadBalancer.https, false);
    assert.equal(s.autoScaling.healthCheckType, 'ELB');
    assert.deepEqual(s.autoScaling.targetTracking, [{ metric: 'CPUUtilization', target: 50, disableScaleIn: false }]);
    assert.equal(s.app.start.cwd, '/srv/shop');
    assert.equal(s.twin.httpPort, 8080);
  });

  it('GIVEN a resolved spec WHEN a caller tries to change it THEN it is frozen', () => {
    const s = resolveSpec(minimal);
    assert.throws(() => {
      (s.capacity as { min: number }).min = 1;
    }, TypeError);
  });

  it('GIVEN zero values WHEN resolved THEN they are kept, not replaced by defaults', () => {
    const s = resolveSpec({ ...minimal, capacity: { min: 0, desired: 0, max: 2 }, loadBalancer: { deregistrationDelay: 0 }, autoScaling: { healthCheckGracePeriod: 0, cpu: false } });
    assert.deepEqual(s.capacity, { min: 0, desired: 0, max: 2 });
    assert.equal(s.loadBalancer.deregistrationDelay, 0);
    assert.equal(s.autoScaling.healthCheckGracePeriod, 0);
    assert.deepEqual(s.autoScaling.targetTracking, []);
  });

  it('GIVEN a certificate WHEN https is not set THEN https is on', () => {
    const s = resolveSpec({ ...minimal, loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' } });
    assert.equal(s.loadBalancer.https, true);
  });

  it('GIVEN a health-check interval below ALB\'s minimum WHEN checked THEN the message names the field, the value and the bound', () => {
    assert.deepEqual(problems({ ...minimal, loadBalancer: { healthCheck: { interval: 3 } } }), [
      'loadBalancer.healthCheck.interval: 3 is below the minimum 5 (seconds)',
    ]);
  });

  it('GIVEN several mistakes WHEN checked THEN all are reported together', () => {
    const p = problems({
      name: 'Shop!',
      zones: 9,
      app: { start: { command: 'node', args: [1] } },
      loadBalancer: { algorithm: 'random', healthCheck: { successCodes: 'ok', unhealthyThreshold: 11 }, color: 'blue' },
    });
    assert.equal(p.length, 7, p.join('\n'));
    assert.ok(p.includes('zones: 9 is above the maximum 6 (zones)'));
    assert.ok(p.includes('app.start.args[0]: received 1, expected a string argument'));
    assert.ok(p.includes('loadBalancer.algorithm: received "random", expected one of round_robin, least_outstanding_requests'));
    assert.ok(p.includes('loadBalancer.healthCheck.unhealthyThreshold: 11 is above the maximum 10'));
    assert.ok(p.includes('loadBalancer.color: unknown field'));
    assert.ok(p.some((x) => x.startsWith('name: received "Shop!"')));
  });

  it('GIVEN an environment variable name that is not one WHEN checked THEN the key\'s own message is given', () => {
    assert.deepEqual(problems({ ...minimal, app: { ...minimal.app, env: { 'BAD-NAME': 'x' } } }), [
      'app.env.BAD-NAME: received "BAD-NAME", expected an environment variable name',
    ]);
  });

  it('GIVEN success codes the load balancer cannot match WHEN checked THEN the spec refuses them and names the part', () => {
    const withCodes = (successCodes: string) => problems({ ...minimal, loadBalancer: { healthCheck: { successCodes } } });
    assert.deepEqual(withCodes('200,500-599'), ['loadBalancer.healthCheck.successCodes: received "200,500-599", expected HTTP codes from 200 to 499 ("500-599" is outside 200-499)']);
    assert.deepEqual(withCodes('299-200'), ['loadBalancer.healthCheck.successCodes: received "299-200", expected HTTP codes from 200 to 499 ("299-200" is an empty range)']);
    assert.equal(checkSpec({ ...minimal, loadBalancer: { healthCheck: { successCodes: '200,300-399' } } }, { configDir: '/srv/shop' }).ok, true);
  });

  it('GIVEN min above max WHEN checked THEN the cross-field rule names both', () => {
    assert.ok(problems({ ...minimal, capacity: { min: 4, max: 3 } }).includes('capacity.min: 4 must be <= capacity.max (3)'));
  });

  it('GIVEN a timeout not below the interval WHEN checked THEN it is refused as ALB refuses it', () => {
    assert.deepEqual(problems({ ...minimal, loadBalancer: { healthCheck: { interval: 10, timeout: 10 } } }), [
      'loadBalancer.healthCheck.timeout: 10 must be below loadBalancer.healthCheck.interval (10) (seconds)',
    ]);
  });

  it('GIVEN slow start with least outstanding requests WHEN checked THEN it is refused', () => {
    const p = problems({ ...minimal, loadBalancer: { algorithm: 'least_outstanding_requests', slowStart: 60 } });
    assert.match(p[0]!, /^loadBalancer\.slowStart: 60 is not allowed with algorithm "least_outstanding_requests"/);
  });

  it('GIVEN a slow start of 10 s WHEN checked THEN it is refused (0 or 30–900)', () => {
    assert.match(problems({ ...minimal, loadBalancer: { slowStart: 10 } })[0]!, /expected 0 \(off\) or 30 to 900/);
  });

  it('GIVEN no config at all WHEN checked THEN it says what was expected', () => {
    assert.deepEqual(problems(undefined), ['received nothing, expected an object']);
  });

  it('GIVEN a missing app WHEN resolved with resolveSpec THEN it throws HASTACK_SPEC_INVALID listing the problem', () => {
    assert.throws(
      () => resolveSpec({ name: 'shop' }),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_SPEC_INVALID' && e.source === 'user' && /app: received nothing/.test(e.message),
    );
  });
});
