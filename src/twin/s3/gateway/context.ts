/**
 * What every S3 operation handler gets: the request and response, the route and verified signer,
 * the request id, and the gateway's parts (cluster, buckets, clock, settings).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StorageCluster } from '../../storage/cluster.ts';
import type { KeyedMutex } from '../../../util/keyed-mutex.ts';
import type { SeqClock } from '../../storage/seq-clock.ts';
import type { AuthResult } from '../auth/verify.ts';
import type { Route } from '../route.ts';
import type { Owner } from '../xml.ts';
import type { BucketRegistry } from './bucket-registry.ts';

export interface GatewayParts {
  readonly cluster: StorageCluster;
  readonly buckets: BucketRegistry;
  readonly clock: SeqClock;
  readonly region: string;
  readonly owner: Owner;
  /** Largest single PUT (S3: 5 GiB). */
  readonly maxObjectBytes: number;
  /** Smallest part but the last (S3: 5 MiB). */
  readonly minPartBytes: number;
  /** Per-key locks for conditional writes. */
  readonly writeLocks: KeyedMutex;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: Route;
  readonly auth: AuthResult;
  readonly requestId: string;
  readonly parts: GatewayParts;
}

/** One header's value (the first, when repeated). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The route's bucket; routing guarantees one for bucket and object operations. */
export function bucketOf(ctx: RequestContext): string {
  return ctx.route.bucket ?? '';
}

/** The route's key; routing guarantees one for object operations. */
export function keyOf(ctx: RequestContext): string {
  return ctx.route.key ?? '';
}
