/**
 * The S3 benchmark's load: closed-loop PUT and GET phases through @aws-sdk/client-s3 — N workers,
 * each issuing its next request as soon as the last one answered, for a warm-up and then a measured
 * window. The same code drives every store; only the endpoint and credentials differ.
 */
import { Agent } from 'node:http';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface StoreAccess {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

/** How the SDK handles flexible checksums: its defaults (CRC32 on every PUT, validated on GET when the store sends one), or only when an operation requires them. */
export type ChecksumMode = 'default' | 'when-required';

/** An SDK client for `store` with a keep-alive agent of `sockets` connections and no retries (a failure is counted, never hidden). */
export function benchClient(store: StoreAccess, sockets: number, checksums: ChecksumMode): S3Client {
  return new S3Client({
    endpoint: store.endpoint,
    region: store.region,
    credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }), requestTimeout: 120_000, connectionTimeout: 10_000 },
    ...(checksums === 'when-required' ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

export interface PhaseResult {
  /** Requests answered successfully inside the measured window. */
  readonly ops: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly opsPerS: number;
  readonly mibPerS: number;
}

export interface PhaseOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** A request not answered in full by then fails (and is counted as failed). */
  readonly requestTimeoutMs: number;
  /** Called when the measured window opens and when it closes (for CPU readings). */
  readonly onWindow?: (edge: 'start' | 'end') => void;
}

/** More failures than this in one phase end it: the figures would mean nothing. */
const MAX_ERRORS = 50;

/**
 * Runs `op` from `concurrency` workers until the window closes; counts the successes that finish
 * inside it. A request still in flight when the window closes is awaited but not counted.
 */
async function closedLoop(o: PhaseOptions, bytesPerOp: number, op: (worker: number, n: number) => Promise<void>): Promise<PhaseResult> {
  const start = performance.now();
  const from = start + o.warmupMs;
  const until = from + o.durationMs;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  let n = 0;
  const startTimer = setTimeout(() => o.onWindow?.('start'), o.warmupMs);
  const endTimer = setTimeout(() => o.onWindow?.('end'), o.warmupMs + o.durationMs);
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < until && errors <= MAX_ERRORS) {
      try {
        await op(w, n++);
        const t = performance.now();
        if (t >= from && t <= until) ops++;
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  if (errors > MAX_ERRORS) throw new Error(`more than ${MAX_ERRORS} failed requests; the first: ${firstError}`);
  const seconds = o.durationMs / 1000;
  return { ops, errors, firstError, opsPerS: ops / seconds, mibPerS: (ops * bytesPerOp) / seconds / 1024 ** 2 };
}

/** PUTs `body` under fresh keys (`<prefix><n>`); returns the figures and every key written. */
export async function putPhase(client: S3Client, bucket: string, prefix: string, body: Buffer, o: PhaseOptions): Promise<{ result: PhaseResult; keys: string[] }> {
  const keys: string[] = [];
  const result = await closedLoop(o, body.length, async (_w, n) => {
    const key = `${prefix}${String(n).padStart(7, '0')}`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }), { abortSignal: AbortSignal.timeout(o.requestTimeoutMs) });
    keys.push(key);
  });
  return { result, keys };
}

/** GETs `keys` round robin, reading every body to its end and checking its length. */
export async function getPhase(client: S3Client, bucket: string, keys: readonly string[], size: number, o: PhaseOptions): Promise<PhaseResult> {
  if (keys.length === 0) throw new Error('nothing to GET: the PUT phase wrote no object');
  return closedLoop(o, size, async (_w, n) => {
    const key = keys[n % keys.length]!;
    const deadline = AbortSignal.timeout(o.requestTimeoutMs);
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deadline });
    const body = res.Body as Readable;
    let got = 0;
    const onAbort = (): void => {
      body.destroy(new Error(`GET ${key}: ${got} of ${size} bytes after ${o.requestTimeoutMs} ms, the rest never came`));
    };
    deadline.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of body) got += (chunk as Buffer).length;
    } finally {
      deadline.removeEventListener('abort', onAbort);
    }
    if (got !== size) throw new Error(`GET ${key} returned ${got} bytes, expected ${size}`);
  });
}

/** Deletes `keys`, 1000 per request (between phases, not measured). */
export async function deleteKeys(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const out = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    if ((out.Errors ?? []).length > 0) throw new Error(`deleting benchmark objects failed: ${out.Errors![0]!.Code} ${out.Errors![0]!.Message}`);
  }
}
