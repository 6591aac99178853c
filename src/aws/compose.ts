import type { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { HaBuckets } from './buckets.ts';
import { HaCompute } from './compute/ha-compute.ts';
import { HaDatabase } from './database.ts';
import { HaDns } from './dns.ts';
import { HaFaultInjection } from './fault-injection.ts';
import { HaLoadBalancer } from './load-balancer.ts';
import { HaAlarmTopic } from './monitoring/alarm-topic.ts';
import { HaMonitoring } from './monitoring/ha-monitoring.ts';
import { HaNetwork } from './network.ts';

/**
 * Where each part goes. One scope for all gives one stack (HaWebApp); separate stacks let data
 * outlive compute (the CLI's app): network, then data, then app, then monitoring.
 */
export interface HaScopes {
  readonly network: Construct;
  readonly data: Construct;
  readonly app: Construct;
  readonly monitoring: Construct;
}

export interface HaParts {
  readonly network: HaNetwork;
  readonly alarmTopic: HaAlarmTopic;
  readonly database: HaDatabase;
  readonly buckets: HaBuckets;
  readonly loadBalancer: HaLoadBalancer;
  readonly compute: HaCompute;
  readonly dns: HaDns | undefined;
  readonly monitoring: HaMonitoring;
  readonly faultInjection: HaFaultInjection;
}

export interface ComposeOptions {
  /** The app's folder to bundle. @default - spec.app.start.cwd */
  readonly appPath?: string;
}

/** Builds the whole architecture of one spec into the given scopes. */
export function composeHaWebApp(scopes: HaScopes, spec: ResolvedSpec, options: ComposeOptions = {}): HaParts {
  const network = new HaNetwork(scopes.network, 'Network', { spec });
  const alarmTopic = new HaAlarmTopic(scopes.data, 'Alarms', { spec });
  const database = new HaDatabase(scopes.data, 'Database', { spec, vpc: network.vpc, securityGroup: network.databaseSecurityGroup });
  const buckets = new HaBuckets(scopes.data, 'Buckets', { spec });
  const loadBalancer = new HaLoadBalancer(scopes.app, 'LoadBalancer', {
    spec,
    vpc: network.vpc,
    securityGroup: network.loadBalancerSecurityGroup,
    logBucket: buckets.logBucket,
  });
  const compute = new HaCompute(scopes.app, 'Compute', {
    spec,
    vpc: network.vpc,
    securityGroup: network.instanceSecurityGroup,
    targetGroup: loadBalancer.targetGroup,
    loadBalancer: loadBalancer.loadBalancer,
    database: { secret: database.secret, endpointAddress: database.endpointAddress, port: database.port, databaseName: database.databaseName },
    buckets: buckets.appBuckets,
    alarmTopic: alarmTopic.topic,
    appPath: options.appPath ?? spec.app.start.cwd,
  });
  const dns = spec.dns === undefined ? undefined : new HaDns(scopes.app, 'Dns', { spec, loadBalancer: loadBalancer.loadBalancer });
  const monitoring = new HaMonitoring(scopes.monitoring, 'Monitoring', {
    spec,
    topic: alarmTopic.topic,
    loadBalancer: loadBalancer.loadBalancer,
    targetGroup: loadBalancer.targetGroup,
    autoScalingGroup: compute.autoScalingGroup,
    databaseDimensions: database.metricDimensions,
    readerDimensions: database.readerMetricDimensions,
    ...(dns === undefined ? {} : { dnsHealthCheckId: dns.healthCheckId }),
  });
  const critical = new Set(spec.alarms.rules.filter((r) => r.critical).map((r) => r.id));
  const faultInjection = new HaFaultInjection(scopes.monitoring, 'FaultInjection', {
    spec,
    vpc: network.vpc,
    autoScalingGroup: compute.autoScalingGroup,
    databaseArn: database.failoverTargetArn,
    databaseKind: database.failoverKind,
    stopAlarms: [...monitoring.alarms].filter(([id]) => critical.has(id)).map(([, a]) => a),
  });
  return { network, alarmTopic, database, buckets, loadBalancer, compute, dns, monitoring, faultInjection };
}
