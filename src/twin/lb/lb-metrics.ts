import type { Dimensions, MetricSink, MetricUnit } from '../monitor/types.ts';

/**
 * ALB's CloudWatch metrics, counted in memory on the request path (plain field increments) and put
 * to the sink once per second, so a busy listener costs the metric store a handful of data points
 * per second instead of one per request.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 */
export const ALB_NAMESPACE = 'AWS/ApplicationELB';

/**
 * TargetResponseTime is put as a uniform sample of at most this many responses per second (every
 * response when there are fewer): Average and percentiles stay right, SampleCount is capped.
 */
export const RESPONSE_TIME_SAMPLES = 64;

export interface HostCounts {
  readonly healthy: number;
  readonly unhealthy: number;
}

export class LbMetrics {
  requests = 0;
  target2xx = 0;
  target3xx = 0;
  target4xx = 0;
  target5xx = 0;
  elb3xx = 0;
  elb4xx = 0;
  elb5xx = 0;
  elb500 = 0;
  elb502 = 0;
  elb503 = 0;
  elb504 = 0;
  newConnections = 0;
  targetConnectionErrors = 0;
  private responses = 0;
  private readonly samples = new Float64Array(RESPONSE_TIME_SAMPLES);
  private healthyNow = 0;
  readonly lbDims: Dimensions;
  readonly tgDims: Dimensions;
  private readonly tgOnlyDims: Dimensions;

  constructor(
    name: string,
    private readonly sink: MetricSink | undefined,
  ) {
    this.lbDims = { LoadBalancer: `app/${name}/local` };
    this.tgDims = { LoadBalancer: `app/${name}/local`, TargetGroup: `targetgroup/${name}/local` };
    this.tgOnlyDims = { TargetGroup: `targetgroup/${name}/local` };
  }

  /** A target answered with `status` after `seconds` (request sent → response head received). */
  targetResponse(status: number, seconds: number): void {
    if (status < 300) this.target2xx++;
    else if (status < 400) this.target3xx++;
    else if (status < 500) this.target4xx++;
    else this.target5xx++;
    const n = ++this.responses;
    if (n <= RESPONSE_TIME_SAMPLES) this.samples[n - 1] = seconds;
    else {
      const j = Math.floor(Math.random() * n);
      if (j < RESPONSE_TIME_SAMPLES) this.samples[j] = seconds;
    }
  }

  /** The load balancer answered `status` itself. */
  elbResponse(status: number): void {
    if (status < 400) this.elb3xx++;
    else if (status < 500) this.elb4xx++;
    else {
      this.elb5xx++;
      if (status === 500) this.elb500++;
      else if (status === 502) this.elb502++;
      else if (status === 503) this.elb503++;
      else if (status === 504) this.elb504++;
    }
  }

  /** HealthyHostCount and UnHealthyHostCount, per target group and per zone; ALB reports them even when zero. */
  hostCounts(now: number, total: HostCounts, byZone: ReadonlyMap<string, HostCounts>): void {
    this.healthyNow = total.healthy;
    if (this.sink === undefined) return;
    this.put('HealthyHostCount', this.tgDims, total.healthy, 'Count', now);
    this.put('UnHealthyHostCount', this.tgDims, total.unhealthy, 'Count', now);
    for (const [zone, c] of byZone) {
      const dims = { ...this.tgDims, AvailabilityZone: zone };
      this.put('HealthyHostCount', dims, c.healthy, 'Count', now);
      this.put('UnHealthyHostCount', dims, c.unhealthy, 'Count', now);
    }
  }

  /** Puts the last second's counts and resets them. Counts that are zero are left out, as ALB does. */
  flush(now: number): void {
    const sink = this.sink;
    if (sink !== undefined) {
      const lb = this.lbDims;
      const tg = this.tgDims;
      if (this.requests > 0) {
        this.put('RequestCount', lb, this.requests, 'Count', now);
        this.put('RequestCount', tg, this.requests, 'Count', now);
        const perTarget = this.requests / Math.max(1, this.healthyNow);
        this.put('RequestCountPerTarget', tg, perTarget, 'Count', now);
        this.put('RequestCountPerTarget', this.tgOnlyDims, perTarget, 'Count', now);
      }
      const both: [string, number][] = [
        ['HTTPCode_Target_2XX_Count', this.target2xx],
        ['HTTPCode_Target_3XX_Count', this.target3xx],
        ['HTTPCode_Target_4XX_Count', this.target4xx],
        ['HTTPCode_Target_5XX_Count', this.target5xx],
        ['TargetConnectionErrorCount', this.targetConnectionErrors],
      ];
      for (const [name, v] of both) {
        if (v === 0) continue;
        this.put(name, lb, v, 'Count', now);
        this.put(name, tg, v, 'Count', now);
      }
      const lbOnly: [string, number][] = [
        ['HTTPCode_ELB_3XX_Count', this.elb3xx],
        ['HTTPCode_ELB_4XX_Count', this.elb4xx],
        ['HTTPCode_ELB_5XX_Count', this.elb5xx],
        ['HTTPCode_ELB_500_Count', this.elb500],
        ['HTTPCode_ELB_502_Count', this.elb502],
        ['HTTPCode_ELB_503_Count', this.elb503],
        ['HTTPCode_ELB_504_Count', this.elb504],
        ['NewConnectionCount', this.newConnections],
      ];
      for (const [name, v] of lbOnly) if (v !== 0) this.put(name, lb, v, 'Count', now);
      const kept = Math.min(this.responses, RESPONSE_TIME_SAMPLES);
      for (let i = 0; i < kept; i++) {
        this.put('TargetResponseTime', lb, this.samples[i]!, 'Seconds', now);
        this.put('TargetResponseTime', tg, this.samples[i]!, 'Seconds', now);
      }
    }
    this.requests = this.target2xx = this.target3xx = this.target4xx = this.target5xx = 0;
    this.elb3xx = this.elb4xx = this.elb5xx = this.elb500 = this.elb502 = this.elb503 = this.elb504 = 0;
    this.newConnections = this.targetConnectionErrors = this.responses = 0;
  }

  private put(name: string, dimensions: Dimensions, value: number, unit: MetricUnit, timestamp: number): void {
    try {
      this.sink!.put({ namespace: ALB_NAMESPACE, name, dimensions, value, unit, timestamp });
    } catch {
      // A failing metric store must not take the data plane down with it.
    }
  }
}
