/**
 * The settings of a database endpoint, their defaults, and the check that names every unusable one.
 */
import type { EmitEvent } from '../events.ts';
import { dbEndpointError } from './endpoint-errors.ts';

export interface DbEndpointOptions {
  /** The endpoint's name in messages and events, e.g. `writer` or `reader`. */
  readonly name: string;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Milliseconds a new connection waits for a target while none is set (a failover in progress). @default 5000 */
  readonly holdMs?: number;
  /** Milliseconds a client has to send its complete first message. @default 10000 */
  readonly startupTimeoutMs?: number;
  /** Open client connections at most; beyond it new ones get an error and are closed. @default 1000 */
  readonly maxConnections?: number;
  readonly onEvent?: EmitEvent;
}

export const ENDPOINT_DEFAULTS = {
  port: 0,
  holdMs: 5_000,
  startupTimeoutMs: 10_000,
  maxConnections: 1_000,
} as const;

export type ResolvedEndpointOptions = Required<Omit<DbEndpointOptions, 'onEvent'>> & Pick<DbEndpointOptions, 'onEvent'>;

/** Fills in the defaults; throws HASTACK_DB_ENDPOINT_INVALID_OPTIONS naming every bad field. */
export function resolveEndpointOptions(o: DbEndpointOptions): ResolvedEndpointOptions {
  const r: ResolvedEndpointOptions = {
    name: o.name,
    port: o.port ?? ENDPOINT_DEFAULTS.port,
    holdMs: o.holdMs ?? ENDPOINT_DEFAULTS.holdMs,
    startupTimeoutMs: o.startupTimeoutMs ?? ENDPOINT_DEFAULTS.startupTimeoutMs,
    maxConnections: o.maxConnections ?? ENDPOINT_DEFAULTS.maxConnections,
    onEvent: o.onEvent,
  };
  const problems: string[] = [];
  if (typeof r.name !== 'string' || r.name.trim().length === 0) problems.push(`name is ${JSON.stringify(r.name)}, expected a non-empty name such as "writer"`);
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65_535) problems.push(`port is ${r.port}, expected a whole number from 0 (pick a free one) to 65535`);
  if (!Number.isFinite(r.holdMs) || r.holdMs < 0) problems.push(`holdMs is ${r.holdMs}, expected milliseconds, 0 or more`);
  if (!Number.isFinite(r.startupTimeoutMs) || r.startupTimeoutMs < 1) problems.push(`startupTimeoutMs is ${r.startupTimeoutMs}, expected milliseconds, 1 or more`);
  if (!Number.isInteger(r.maxConnections) || r.maxConnections < 1) problems.push(`maxConnections is ${r.maxConnections}, expected a whole number, 1 or more`);
  if (problems.length > 0) {
    throw dbEndpointError('HASTACK_DB_ENDPOINT_INVALID_OPTIONS', `database endpoint ${String(r.name)}: ${problems.join('; ')}`, { details: { problems } });
  }
  return r;
}
