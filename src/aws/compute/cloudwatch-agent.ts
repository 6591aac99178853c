/**
 * The CloudWatch agent's configuration on an app instance: memory and root-disk use per instance
 * and per group (the EC2 metrics lack both), the CPU at the spec's metric period when target
 * tracking needs it faster than EC2's one-minute metric (sent as often as it is sampled), and the
 * app's log file and the boot log shipped to the app's log group. Pure.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
 */

/** The namespace the agent publishes to (its default). */
export const AGENT_NAMESPACE = 'CWAgent';
/** The agent's CPU metric a sub-minute CPU target-tracking policy follows. */
export const AGENT_CPU_METRIC = 'cpu_usage_active';

export interface AgentConfigInput {
  /** The log group the app's output and the boot log go to. */
  readonly logGroupName: string;
  /** The file systemd appends the app's stdout and stderr to. */
  readonly appLogFile: string;
  /** Seconds between CPU samples for target tracking, below 60; undefined: no CPU metric from the agent. */
  readonly cpuIntervalSeconds?: number | undefined;
}

/** The agent's JSON configuration (as an object; JSON.stringify it). */
export function cloudWatchAgentConfig(i: AgentConfigInput): Record<string, unknown> {
  const collected: Record<string, unknown> = {
    mem: { measurement: ['mem_used_percent'] },
    disk: { measurement: ['used_percent'], resources: ['/'], drop_device: true },
  };
  if (i.cpuIntervalSeconds !== undefined) {
    // Below 60 s the agent publishes high-resolution datapoints, which target tracking can follow.
    collected['cpu'] = { measurement: [AGENT_CPU_METRIC], totalcpu: true, metrics_collection_interval: i.cpuIntervalSeconds };
  }
  return {
    metrics: {
      namespace: AGENT_NAMESPACE,
      // The agent sends what it buffered once a minute by default; target tracking at a shorter
      // period would read datapoints up to a minute old, so it flushes at the sampling interval.
      ...(i.cpuIntervalSeconds !== undefined ? { force_flush_interval: i.cpuIntervalSeconds } : {}),
      // The agent fills these in on the instance (they are not template variables).
      append_dimensions: { AutoScalingGroupName: '${aws:AutoScalingGroupName}', InstanceId: '${aws:InstanceId}' },
      aggregation_dimensions: [['AutoScalingGroupName']],
      metrics_collected: collected,
    },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: i.appLogFile, log_group_name: i.logGroupName, log_stream_name: '{instance_id}/app' },
            { file_path: '/var/log/cloud-init-output.log', log_group_name: i.logGroupName, log_stream_name: '{instance_id}/boot' },
          ],
        },
      },
    },
  };
}
