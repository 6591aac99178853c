/**
 * The network every other part stands in: a VPC over the spec's zones with public, private (with
 * egress through NAT) and isolated subnets in each, flow logs, an S3 gateway endpoint, and the three
 * security groups that are the only ways in: internet → load balancer → instances → database.
 */
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';

/** PostgreSQL's port: RDS's default for the engine, which the database keeps. */
export const DATABASE_PORT = 5432;

export interface HaNetworkProps {
  readonly spec: ResolvedSpec;
}

/**
 * The VPC over the spec's zones (public, private-with-egress and isolated subnets in each), NAT
 * gateways (one per zone unless aws.natGateways is 'single'), flow logs, an S3 gateway endpoint,
 * and the three security groups: load balancer, instances, database.
 */
export class HaNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** 80 and 443 from anywhere. */
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The app port from the load balancer's group only. */
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  /** The database port from the instances' group only. */
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  /** Where the VPC's flow logs go (all traffic, kept aws.logRetentionDays). */
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HaNetworkProps) {
    super(scope, id);
    const { spec } = props;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(spec.aws.vpcCidr),
      // Named zones, so the template is made without asking AWS which zones the account has.
      availabilityZones: [...spec.zones],
      // One per zone: losing a zone then leaves the other zones' egress working.
      natGateways: spec.aws.natGateways === 'single' ? 1 : spec.zones.length,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      restrictDefaultSecurityGroup: true,
      // Instances fetch the app bundle and use the app's buckets without going through NAT.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] },
      },
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', { retention: spec.aws.logRetentionDays as logs.RetentionDays });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    const port = spec.app.port;
    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: `${spec.name}: load balancer, HTTP${spec.loadBalancer.https ? ' and HTTPS' : ''} from anywhere`,
      allowAllOutbound: false,
    });
    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.vpc,
      description: `${spec.name}: app instances, port ${port} from the load balancer only`,
      allowAllOutbound: false,
    });
    this.databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: `${spec.name}: database, port ${DATABASE_PORT} from the app instances only`,
      allowAllOutbound: false,
    });

    // Port 80 serves the redirect to HTTPS, or the app itself when HTTPS is off; 443 only with HTTPS.
    this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere');
    if (spec.loadBalancer.https) this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere');
    Validations.of(this.loadBalancerSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'internet-facing load balancer: 80 and 443 from anywhere is its purpose',
    });

    // Each rule below adds the egress on one side and the matching ingress on the other.
    this.loadBalancerSecurityGroup.connections.allowTo(this.instanceSecurityGroup, ec2.Port.tcp(port), `load balancer to the app on ${port}`);
    this.instanceSecurityGroup.connections.allowTo(this.databaseSecurityGroup, ec2.Port.tcp(DATABASE_PORT), `app to the database on ${DATABASE_PORT}`);
    // AWS APIs (Secrets Manager, CloudWatch, SSM), the OS and npm package repositories: all HTTPS.
    this.instanceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and package repositories');
  }
}
