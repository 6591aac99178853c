/**
 * HaWebApp: the whole architecture as one construct in a user's own CDK stack, as docs/aws.md shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HaWebApp } from '../../src/aws/index.ts';
import { appFindings, exampleSpec, synth } from './synth.ts';

describe('HaWebApp in one stack', () => {
  it('GIVEN the example spec WHEN added to a user\'s stack THEN every part is there and cdk-nag AwsSolutions finds nothing unacknowledged', () => {
    const spec = exampleSpec({ database: { deployment: 'multi-az-cluster' } });
    const app = new App();
    const stack = new Stack(app, 'Guestbook', { env: { account: '123456789012', region: spec.region } });
    const web = new HaWebApp(stack, 'App', spec);
    const t = Template.fromStack(stack);
    for (const [type, count] of [
      ['AWS::EC2::VPC', 1],
      ['AWS::EC2::NatGateway', 3],
      ['AWS::ElasticLoadBalancingV2::LoadBalancer', 1],
      ['AWS::AutoScaling::AutoScalingGroup', 1],
      ['AWS::RDS::DBCluster', 1],
      ['AWS::CloudWatch::Dashboard', 1],
    ] as const) t.resourceCountIs(type, count);
    assert.equal(web.parts.monitoring.alarms.size, spec.alarms.rules.length);
    assert.deepEqual(appFindings(app), []);
  });

  for (const protect of [true, false]) {
    it(`GIVEN aws.deletionProtection ${protect} WHEN synthesized THEN the load balancer's deletion protection and the data stack's termination protection are ${protect ? 'on' : 'off'}`, () => {
      const built = synth(exampleSpec({ aws: { deletionProtection: protect } }));
      built.templates.app.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: String(protect) }]),
      });
      assert.equal(built.stacks.data.terminationProtection, protect);
    });
  }
});
