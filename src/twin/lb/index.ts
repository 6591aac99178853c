export { LoadBalancer, MAX_CLIENT_CONNECTIONS } from './load-balancer.ts';
export type { ListenerPorts, LoadBalancerOptions, TargetHealth, TargetRef, TargetState } from './types.ts';
export { LB_ERRORS, lbError, type LbErrorCode } from './errors.ts';
export { selfSignedCert, type SelfSignedCert } from './self-signed-cert.ts';
export { ALB_NAMESPACE } from './lb-metrics.ts';
