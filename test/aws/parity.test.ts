/**
 * Parity: every behavioural number of the synthesized AWS templates equals what the twin's
 * components are configured with, value by value, over several specs.
 *
 * Where the twin's values come from:
 * - load balancer: the `config` region.ts hands to `new LoadBalancer(...)` is `spec.loadBalancer`
 *   itself (LoadBalancerOptions.config); a LoadBalancer is constructed with it here, so the twin
 *   accepts it, and success codes are compared as the twin's own matcher (parseSuccessCodes);
 * - capacities: `AsgController.capacity` of a controller built from the spec (not started);
 * - target tracking: the alarms a `ScalingLoop` built from the spec registers (its AlarmManager);
 * - warmup, cooldown, grace period, health check type, backup retention: read by the twin straight
 *   from the spec (ScalingLoop/MetricCollector, AsgController, region-database), with no function
 *   in between, so the spec's values are the twin's;
 * - alarms: `specAlarmDefinitions`, what region.ts registers with the twin's AlarmManager; alarms
 *   the twin cannot evaluate must be exactly those `twinUnsupportedAlarms` lists.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import type { ResolvedSpec, TrackedMetric } from '../../src/spec/types.ts';
import { realClock } from '../../src/twin/clock.ts';
import { AsgController } from '../../src/twin/compute/asg-controller.ts';
import { ScalingLoop } from '../../src/twin/compute/scaling-loop.ts';
import { LoadBalancer } from '../../src/twin/lb/index.ts';
import { parseSuccessCodes } from '../../src/spec/success-codes.ts';
import {
  MetricStore,
  isPercentAlarm,
  isRatioAlarm,
  specAlarmDefinitions,
  targetTrackingAlarmName,
  twinUnsupportedAlarms,
  type AlarmDefinition,
} from '../../src/twin/monitor/index.ts';
import { exampleSpec, synth } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, any> };

function resources(t: Template, type: string): Resource[] {
  return Object.values(t.findResources(type)) as Resource[];
}

function only(t: Template, type: string): Record<string, any> {
  const all = resources(t, type);
  assert.equal(all.length, 1, `one ${type}`);
  return all[0]!.Properties;
}

/** A number CloudFormation may carry as a string (ASG sizes, attributes). */
const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));

// ---- what the template says ----

interface TemplateAlarm {
  readonly name: string;
  readonly threshold: number;
  readonly comparison: string;
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: string;
  /** `<namespace> <metric> <statistic> [<dimension names>]` of every metric read, sorted (see dimensionNames). */
  readonly metrics: string[];
  readonly expression: string | undefined;
}

/**
 * The names of a metric's dimensions (their values are the resources' own on each target). AWS/RDS
 * is left out: the twin publishes its database's metrics under DBInstanceIdentifier whatever the
 * deployment, while a Multi-AZ DB cluster's alarms on AWS may read DBClusterIdentifier.
 */
const dimensionNames = (namespace: string, names: readonly string[]) => (namespace === 'AWS/RDS' ? '' : [...names].sort().join(','));
const cfnDimensionNames = (namespace: string, dims: { Name: string }[] | undefined) => dimensionNames(namespace, (dims ?? []).map((d) => d.Name));

function templateAlarms(t: Template): Map<string, TemplateAlarm> {
  const out = new Map<string, TemplateAlarm>();
  for (const { Properties: p } of resources(t, 'AWS::CloudWatch::Alarm')) {
    const stats = (p.Metrics ?? []).filter((m: any) => m.MetricStat !== undefined);
    const metrics: string[] =
      stats.length > 0
        ? stats.map((m: any) => `${m.MetricStat.Metric.Namespace} ${m.MetricStat.Metric.MetricName} ${m.MetricStat.Stat} [${cfnDimensionNames(m.MetricStat.Metric.Namespace, m.MetricStat.Metric.Dimensions)}]`)
        : [`${p.Namespace} ${p.MetricName} ${p.ExtendedStatistic ?? p.Statistic} [${cfnDimensionNames(p.Namespace, p.Dimensions)}]`];
    const periods = new Set<number>(stats.length > 0 ? stats.map((m: any) => m.MetricStat.Period) : [p.Period]);
    assert.equal(periods.size, 1, `${p.AlarmName} reads every metric over one period`);
    out.set(p.AlarmName, {
      name: p.AlarmName,
      threshold: p.Threshold,
      comparison: p.ComparisonOperator,
      period: [...periods][0]!,
      evaluationPeriods: p.EvaluationPeriods,
      datapointsToAlarm: p.DatapointsToAlarm ?? p.EvaluationPeriods,
      treatMissingData: p.TreatMissingData ?? 'missing',
      // One metric over several readers (MAX of their ReplicaLag) is one metric here, as on the twin.
      metrics: [...new Set(metrics)].sort(),
      expression: (p.Metrics ?? []).find((m: any) => m.Expression !== undefined)?.Expression,
    });
  }
  return out;
}

function twinAlarm(d: AlarmDefinition): TemplateAlarm {
  const queries = isPercentAlarm(d) ? [...d.numerators, d.denominator] : isRatioAlarm(d) ? [d.numerator, d.denominator] : [d];
  return {
    name: d.name,
    threshold: d.threshold,
    comparison: d.comparisonOperator,
    period: d.period,
    evaluationPeriods: d.evaluationPeriods,
    datapointsToAlarm: d.datapointsToAlarm,
    treatMissingData: d.treatMissingData,
    metrics: queries.map((q) => `${q.namespace} ${q.metricName} ${q.statistic} [${dimensionNames(q.namespace, Object.keys(q.dimensions))}]`).sort(),
    expression: undefined,
  };
}

interface Tracking {
  readonly metric: TrackedMetric;
  readonly target: number;
  readonly disableScaleIn: boolean;
  readonly period: number;
}

const PREDEFINED: Readonly<Record<string, TrackedMetric>> = { ASGAverageCPUUtilization: 'CPUUtilization', ALBRequestCountPerTarget: 'ALBRequestCountPerTarget' };

function trackedMetric(c: Record<string, any>): TrackedMetric {
  const predefined = c.PredefinedMetricSpecification?.PredefinedMetricType;
  if (predefined !== undefined) return PREDEFINED[predefined] ?? assert.fail(`unknown predefined metric ${predefined}`);
  const custom = c.CustomizedMetricSpecification;
  const names: string[] = custom.MetricName !== undefined ? [custom.MetricName] : custom.Metrics.filter((m: any) => m.MetricStat !== undefined).map((m: any) => m.MetricStat.Metric.MetricName);
  // Below 60 s the CPU policy reads the CloudWatch agent's high-resolution cpu_usage_active.
  if (names.includes('CPUUtilization') || names.includes('cpu_usage_active')) return 'CPUUtilization';
  if (names.includes('RequestCountPerTarget') || names.includes('RequestCount')) return 'ALBRequestCountPerTarget';
  return assert.fail(`a target-tracking policy on ${names.join(', ')}`);
}

function trackedPeriod(c: Record<string, any>): number {
  const custom = c.CustomizedMetricSpecification;
  if (custom === undefined) return 60; // predefined metrics are read per minute
  if (custom.Period !== undefined) return custom.Period;
  const stat = custom.Metrics?.find((m: any) => m.MetricStat !== undefined);
  return stat?.MetricStat.Period ?? 60;
}

function templateTracking(t: Template): { policies: Tracking[]; warmups: number[] } {
  const policies: Tracking[] = [];
  const warmups: number[] = [];
  for (const { Properties: p } of resources(t, 'AWS::AutoScaling::ScalingPolicy')) {
    const c = p.TargetTrackingConfiguration;
    if (c === undefined) continue;
    policies.push({ metric: trackedMetric(c), target: c.TargetValue, disableScaleIn: c.DisableScaleIn ?? false, period: trackedPeriod(c) });
    if (p.EstimatedInstanceWarmup !== undefined) warmups.push(num(p.EstimatedInstanceWarmup)!);
  }
  return { policies: policies.sort((a, b) => a.metric.localeCompare(b.metric)), warmups };
}

// ---- what the twin is configured with ----

interface TwinParts {
  readonly capacity: { min: number; desired: number; max: number };
  readonly tracking: Tracking[];
  readonly alarms: AlarmDefinition[];
}

function twinParts(spec: ResolvedSpec): TwinParts {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hastack-parity-'));
  try {
    // The twin's load balancer takes spec.loadBalancer as its config; building one checks the twin accepts every value.
    new LoadBalancer({ name: spec.name, config: spec.loadBalancer, httpPort: 0 });
    const asg = new AsgController({
      spec,
      stateDir,
      clock: realClock,
      onEvent: () => {},
      targets: { registerTarget: () => {}, deregisterTarget: async () => {}, targetState: () => undefined },
    });
    const scaling = new ScalingLoop({ spec, asg, metrics: new MetricStore(), clock: realClock, onEvent: () => {} });
    const registered = new Map(scaling.alarmManager.describeAlarms().map((s) => [s.definition.name, s.definition]));
    const tracking = spec.autoScaling.targetTracking.map((p): Tracking => {
      const high = registered.get(targetTrackingAlarmName(asg.name, 'High', p.metric));
      assert.ok(high, `the twin registers the high alarm of ${p.metric}`);
      const low = registered.get(targetTrackingAlarmName(asg.name, 'Low', p.metric));
      return { metric: p.metric, target: high.threshold, disableScaleIn: low === undefined, period: high.period };
    });
    const alarms = specAlarmDefinitions(spec, { loadBalancer: spec.name, targetGroup: spec.name, autoScalingGroup: asg.name, database: spec.name });
    return { capacity: asg.capacity, tracking: tracking.sort((a, b) => a.metric.localeCompare(b.metric)), alarms };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

// ---- the specs ----

const SPECS: [string, () => ResolvedSpec][] = [
  ['the example spec', () => exampleSpec()],
  [
    'a multi-AZ cluster with a custom health check, capacities and alarms',
    () =>
      exampleSpec({
        capacity: { min: 3, desired: 4, max: 8 },
        loadBalancer: {
          deregistrationDelay: 45,
          slowStart: 60,
          healthCheck: { path: '/healthz', interval: 10, timeout: 3, healthyThreshold: 3, unhealthyThreshold: 4, successCodes: '200-299' },
        },
        database: { deployment: 'multi-az-cluster', backupRetentionDays: 14 },
        alarms: { cpu: false, http5xxRate: { threshold: 2, period: 30, evaluationPeriods: 4, datapointsToAlarm: 3 }, dbReplicaLag: { threshold: 10, critical: true }, unhealthyHosts: { threshold: 1 } },
      }),
  ],
  [
    'least outstanding requests, request-count tracking and a single-AZ database',
    () =>
      exampleSpec({
        loadBalancer: { algorithm: 'least_outstanding_requests', healthCheck: { successCodes: '200,204' } },
        autoScaling: { requestCountPerTarget: { target: 500 }, cpu: { target: 60, disableScaleIn: true }, instanceWarmup: 120, cooldown: 120, healthCheckGracePeriod: 90 },
        database: { deployment: 'single-az', backupRetentionDays: 3 },
        alarms: { latencyP99: { threshold: 1.5 }, dbConnections: { threshold: 50, period: 120 } },
      }),
  ],
  [
    'high-resolution scaling, zones by name and a domain with failover',
    () =>
      exampleSpec({
        zones: ['us-east-1a', 'us-east-1b', 'us-east-1d'],
        autoScaling: { metricPeriod: 10, cpu: { target: 40 } },
        dns: { domain: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
        alarms: { dnsHealthCheck: { evaluationPeriods: 2, datapointsToAlarm: 2 } },
      }),
  ],
];

describe('parity between the AWS templates and the twin', () => {
  for (const [name, make] of SPECS) {
    describe(name, () => {
      const spec = make();
      const built = synth(spec);
      const { app, data, monitoring } = built.templates;
      const twin = twinParts(spec);

      it('GIVEN the target group WHEN compared THEN health-check path, interval, timeout, thresholds and success codes are the twin\'s', () => {
        const tg = only(app, 'AWS::ElasticLoadBalancingV2::TargetGroup');
        const hc = spec.loadBalancer.healthCheck; // the twin load balancer's config (see header)
        assert.deepEqual(
          [tg.HealthCheckPath, tg.HealthCheckIntervalSeconds, tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount],
          [hc.path, hc.interval, hc.timeout, hc.healthyThreshold, hc.unhealthyThreshold],
        );
        const twinCodes = parseSuccessCodes(hc.successCodes);
        const awsCodes = parseSuccessCodes(tg.Matcher.HttpCode);
        assert.ok(twinCodes.ok && awsCodes.ok);
        for (let status = 100; status < 600; status++) assert.equal(awsCodes.match(status), twinCodes.match(status), `status ${status} counts as success on both or neither`);
      });

      it('GIVEN the target group attributes WHEN compared THEN deregistration delay, algorithm and slow start are the twin\'s', () => {
        const tg = only(app, 'AWS::ElasticLoadBalancingV2::TargetGroup');
        const attrs = new Map<string, string>((tg.TargetGroupAttributes ?? []).map((a: { Key: string; Value: string }) => [a.Key, a.Value]));
        assert.equal(num(attrs.get('deregistration_delay.timeout_seconds') ?? 300), spec.loadBalancer.deregistrationDelay);
        assert.equal(attrs.get('load_balancing.algorithm.type') ?? 'round_robin', spec.loadBalancer.algorithm);
        assert.equal(num(attrs.get('slow_start.duration_seconds') ?? 0), spec.loadBalancer.slowStart);
      });

      it('GIVEN the Auto Scaling group WHEN compared THEN capacities, health check type and grace period, cooldown and warmup are the twin\'s', () => {
        const asg = only(app, 'AWS::AutoScaling::AutoScalingGroup');
        assert.equal(num(asg.MinSize), twin.capacity.min);
        assert.equal(num(asg.MaxSize), twin.capacity.max);
        // Without DesiredCapacity, AWS starts the group at MinSize.
        assert.equal(num(asg.DesiredCapacity) ?? num(asg.MinSize), twin.capacity.desired);
        assert.equal(asg.HealthCheckType ?? 'EC2', spec.autoScaling.healthCheckType);
        assert.equal(num(asg.HealthCheckGracePeriod ?? 0), spec.autoScaling.healthCheckGracePeriod);
        assert.equal(num(asg.Cooldown ?? 300), spec.autoScaling.cooldown);
        const { warmups } = templateTracking(app);
        const warmup = [...(asg.DefaultInstanceWarmup === undefined ? [] : [num(asg.DefaultInstanceWarmup)!]), ...warmups];
        assert.ok(warmup.length > 0, 'the template states an instance warmup');
        for (const w of warmup) assert.equal(w, spec.autoScaling.instanceWarmup);
      });

      it('GIVEN the scaling policies WHEN compared THEN metrics, targets, scale-in and periods are those of the twin\'s target-tracking alarms', () => {
        assert.deepEqual(templateTracking(app).policies, twin.tracking);
      });

      it('GIVEN the alarms WHEN compared by alarm id THEN thresholds, comparisons, periods, datapoints, missing data and metrics are the twin\'s', () => {
        const aws = templateAlarms(monitoring);
        const unsupported = twinUnsupportedAlarms(spec).map((u) => `${spec.name}-${u.id}`);
        const awsOnlyByDesign = spec.region === 'us-east-1' ? [] : [`${spec.name}-dnsHealthCheck`];
        assert.deepEqual(
          [...aws.keys()].sort(),
          [...twin.alarms.map((d) => d.name), ...unsupported].filter((n) => !awsOnlyByDesign.includes(n)).sort(),
          'every template alarm is on the twin, or listed by twinUnsupportedAlarms',
        );
        assert.ok(twin.alarms.length > 0);
        for (const def of twin.alarms) {
          const a = aws.get(def.name);
          assert.ok(a, `the template has alarm ${def.name}`);
          assert.deepEqual({ ...a, expression: undefined }, twinAlarm(def), def.name);
          if (isPercentAlarm(def)) assert.equal(a.expression, `100 * (${def.numerators.map((_, i) => `FILL(n${i + 1}, 0)`).join(' + ')}) / d`);
          // The twin publishes the largest lag over its standbys; AWS takes the MAX over the readers.
          else if (a.expression !== undefined) assert.match(a.expression, /^MAX\(\[r1(, r\d+)*\]\)$/, def.name);
        }
      });

      it('GIVEN the database WHEN compared THEN backup retention is the twin\'s', () => {
        const db = [...resources(data, 'AWS::RDS::DBInstance'), ...resources(data, 'AWS::RDS::DBCluster')].filter((r) => r.Properties.BackupRetentionPeriod !== undefined);
        assert.ok(db.length > 0, 'the template states a backup retention');
        for (const r of db) assert.equal(num(r.Properties.BackupRetentionPeriod), spec.database.backupRetentionDays, r.Type);
      });
    });
  }
});
