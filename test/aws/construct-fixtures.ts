/**
 * Test fixtures for one construct of the AWS target on its own: a stack in the spec's region with
 * a real VPC and security group, and the cdk-nag findings under one construct path.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { appFindings } from './synth.ts';

export interface ConstructStack {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
}

/** Stack `T` (account 123456789012, the spec's region) with a VPC over the spec's zones: public, private and isolated subnets. */
export function constructStack(spec: ResolvedSpec): ConstructStack {
  const app = new App();
  const stack = new Stack(app, 'T', { env: { account: '123456789012', region: spec.region } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: [...spec.zones],
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'Group', { vpc });
  return { app, stack, vpc, securityGroup };
}

/** Unacknowledged AwsSolutions findings (`rule at path`) whose construct path starts with one of `prefixes`. */
export function findingsUnder(app: App, ...prefixes: string[]): string[] {
  return appFindings(app).filter((line) => prefixes.some((p) => line.split(' at ')[1]?.startsWith(p)));
}
