import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALB_METRIC,
  ASG_METRIC,
  METRICS_ERRORS,
  METRIC_UNIT,
  NAMESPACE,
  albDimensions,
  autoScalingGroupDimensions,
  instanceDimensions,
  targetGroupOnlyDimensions,
} from '../../../src/twin/monitor/index.ts';

describe('metric names', () => {
  it('GIVEN twin names WHEN dimensions are built THEN they have the shape AWS gives them', () => {
    assert.deepEqual(albDimensions({ loadBalancer: 'guestbook', targetGroup: 'guestbook-tg', availabilityZone: 'local-1a' }), {
      LoadBalancer: 'app/guestbook/local',
      TargetGroup: 'targetgroup/guestbook-tg/local',
      AvailabilityZone: 'local-1a',
    });
    assert.deepEqual(albDimensions({ loadBalancer: 'guestbook' }), { LoadBalancer: 'app/guestbook/local' });
    assert.deepEqual(targetGroupOnlyDimensions('tg'), { TargetGroup: 'targetgroup/tg/local' });
    assert.deepEqual(instanceDimensions('i-0abc'), { InstanceId: 'i-0abc' });
    assert.deepEqual(autoScalingGroupDimensions('guestbook'), { AutoScalingGroupName: 'guestbook' });
  });

  it('GIVEN every metric name WHEN looked up THEN it is spelt as its key and has a unit', () => {
    assert.equal(NAMESPACE.ALB, 'AWS/ApplicationELB');
    for (const [key, name] of Object.entries({ ...ALB_METRIC, ...ASG_METRIC, CPUUtilization: 'CPUUtilization' })) {
      assert.equal(key, name);
      assert.ok(METRIC_UNIT[name as keyof typeof METRIC_UNIT], `${name} needs a unit`);
    }
  });

  it('GIVEN the metrics error registry WHEN read THEN every code is HASTACK_METRICS_* with a summary', () => {
    for (const [code, def] of Object.entries(METRICS_ERRORS)) {
      assert.match(code, /^HASTACK_METRICS_[A-Z_]+$/);
      assert.ok(def.summary.length > 20);
    }
  });
});
