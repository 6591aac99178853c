/** hastack's public surface: the spec, the twin, and the load tools tests use against it. */
export { defineStack, resolveSpec, checkSpec, loadSpec, formatProblem } from './spec/index.ts';
export type * from './spec/types.ts';
export type { SpecProblem } from './spec/index.ts';
export { startTwin, Twin, type TwinOptions } from './twin/region.ts';
export type { TwinStatus, DatabaseStatus } from './twin/status.ts';
export type { TwinEvent } from './twin/events.ts';
export type { ScalingActivity } from './twin/compute/activity-log.ts';
export { runLoad, type LoadOptions, type LoadResult, type RequestRecord, type Outcome } from './resilience/load-generator.ts';
export { HastackError, isHastackError } from './errors.ts';
