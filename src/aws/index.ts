/** hastack's AWS target: the CDK constructs of the architecture, the four-stack app, and synthesis. */
export { HaWebApp, type HaWebAppProps } from './ha-web-app.ts';
export { composeHaWebApp, type HaScopes, type HaParts, type ComposeOptions } from './compose.ts';
export { buildHaApp, stackNames, type HaApp, type HaStacks, type BuildHaAppOptions } from './stacks.ts';
export { synthesize, type SynthesizeOptions, type SynthesisResult, type SynthesizedStack } from './synthesize.ts';
export { runToolkit, type ToolkitAction, type ToolkitMessage, type ToolkitRunOptions } from './toolkit.ts';
export { HaNetwork, type HaNetworkProps } from './network.ts';
export { HaDatabase, type HaDatabaseProps } from './database.ts';
export { HaBuckets, type HaBucketsProps } from './buckets.ts';
export { HaLoadBalancer, type HaLoadBalancerProps } from './load-balancer.ts';
export { HaCompute, type HaComputeProps, type DatabaseConnection } from './compute/ha-compute.ts';
export { HaDns, type HaDnsProps } from './dns.ts';
export { HaAlarmTopic, type HaAlarmTopicProps } from './monitoring/alarm-topic.ts';
export { HaMonitoring, type HaMonitoringProps } from './monitoring/ha-monitoring.ts';
export { HaFaultInjection, type HaFaultInjectionProps } from './fault-injection.ts';
export { AWS_ERRORS } from './errors.ts';
