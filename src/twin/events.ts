/**
 * The twin never prints. Components report what they did as events; the host (CLI, tests) decides
 * what to show. `message` is one sentence a person can read in the event log.
 */
export type TwinEventSource = 'region' | 'asg' | 'lb' | 'instance' | 'db' | 'fault' | 'metrics' | 'control' | 'imds' | 'storage';

export interface TwinEvent {
  readonly at: number;
  readonly source: TwinEventSource;
  readonly type: string; // e.g. 'target-unhealthy', 'instance-launched'
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type EmitEvent = (e: Omit<TwinEvent, 'at'> & { at?: number }) => void;
