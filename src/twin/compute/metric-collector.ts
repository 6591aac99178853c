import type { ResolvedSpec } from '../../spec/types.ts';
import type { Clock } from '../clock.ts';
import { pastWarmup, type AsgController } from './asg-controller.ts';
import type { MetricSink } from '../monitor/types.ts';

/**
 * Samples what no data-plane component reports by itself, once a second: each instance's CPU
 * (AWS/EC2 CPUUtilization, as percent of one vCPU) and the group's sizes (AWS/AutoScaling).
 */
export class MetricCollector {
  private timer: unknown;
  private readonly lastCpu = new Map<string, { at: number; cpu: number }>();

  constructor(private readonly o: { spec: ResolvedSpec; asg: AsgController; metrics: MetricSink; clock: Clock; intervalMs?: number }) {}

  start(): void {
    const tick = () => {
      try {
        this.sample();
      } finally {
        this.timer = this.o.clock.setTimeout(tick, this.o.intervalMs ?? 1000);
      }
    };
    this.timer = this.o.clock.setTimeout(tick, this.o.intervalMs ?? 1000);
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  sample(): void {
    const now = this.o.clock.now();
    const group = this.o.asg.name;
    const records = this.o.asg.instanceRecords();
    const seen = new Set<string>();
    for (const r of records) {
      seen.add(r.id);
      const cpu = r.process.cpuSeconds();
      if (cpu === undefined) continue;
      const prev = this.lastCpu.get(r.id);
      this.lastCpu.set(r.id, { at: now, cpu });
      if (prev === undefined || now <= prev.at) continue;
      const pct = Math.min(100, Math.max(0, ((cpu - prev.cpu) / ((now - prev.at) / 1000)) * 100));
      this.o.metrics.put({ namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { InstanceId: r.id }, value: pct, unit: 'Percent', timestamp: now });
      // A warming-up instance does not count towards the group's metric yet (warmup runs from InService).
      if (pastWarmup(r, this.o.spec.autoScaling.instanceWarmup, now)) {
        this.o.metrics.put({ namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { AutoScalingGroupName: group }, value: pct, unit: 'Percent', timestamp: now });
      }
    }
    for (const id of this.lastCpu.keys()) if (!seen.has(id)) this.lastCpu.delete(id);
    const by = (l: string) => records.filter((r) => r.lifecycle === l).length;
    const cap = this.o.asg.capacity;
    const dims = { AutoScalingGroupName: group };
    const put = (name: string, value: number) => this.o.metrics.put({ namespace: 'AWS/AutoScaling', name, dimensions: dims, value, unit: 'None', timestamp: now });
    put('GroupDesiredCapacity', cap.desired);
    put('GroupMinSize', cap.min);
    put('GroupMaxSize', cap.max);
    put('GroupInServiceInstances', by('InService'));
    put('GroupPendingInstances', by('Pending'));
    put('GroupTerminatingInstances', by('Terminating'));
    put('GroupTotalInstances', records.length);
  }
}
