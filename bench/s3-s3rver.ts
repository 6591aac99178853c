/**
 * The S3 benchmark's reference store, in its own process: s3rver (a single-node S3 stand-in that
 * keeps objects as files) on loopback, in the given folder. Prints one JSON line — endpoint,
 * credentials, region — then serves until SIGTERM, SIGINT or its parent going away.
 *
 *   node --import tsx bench/s3-s3rver.ts <data folder>
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: { port: number; address: string; silent: boolean; directory: string }) => S3rverInstance;

async function main(): Promise<void> {
  const directory = process.argv[2];
  if (directory === undefined) throw new Error('usage: s3-s3rver.ts <data folder>');
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await server.run();
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().finally(() => process.exit(0));
    // close() waits for keep-alive connections; do not wait for them long.
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, stop);
  process.on('disconnect', stop);
  // s3rver's fixed credentials (see its README).
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`s3rver failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
