/**
 * Guestbook: the reference app hastack runs as several instances behind a load balancer, on the
 * local twin and on EC2 alike. Start: node --import tsx src/server.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler, type AppState } from './app.ts';
import { AttachmentStore, createS3Client, regionOfZone } from './attachments.ts';
import { ConfigError, readConfig } from './config.ts';
import { createPool } from './database.ts';
import { fetchIdentity } from './identity.ts';
import { log } from './log.ts';
import { Readiness } from './readiness.ts';
import { SchemaKeeper } from './schema.ts';
import { installShutdown } from './shutdown.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = readConfig(process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log.warn(e.message);
    process.exit(1);
  }

  const identity = await fetchIdentity({ endpoint: config.metadataEndpoint, disabled: config.metadataDisabled, warn: log.warn });
  const pool = createPool(config.databaseUrl, identity.instanceId, log.warn);
  const schema = new SchemaKeeper(pool, log.warn);
  schema.start();
  const readiness = new Readiness({
    check: async () => {
      await pool.query('SELECT 1');
    },
    graceMs: config.readinessDbGraceMs,
  });
  const state: AppState = { shuttingDown: false };
  // Image attachments, when the stack has a bucket for them. The SDK finds the endpoint (on the
  // twin) and the credentials by itself; only the region falls back to the instance's zone.
  const s3 =
    config.attachmentsBucket === undefined
      ? undefined
      : createS3Client({ forcePathStyle: config.s3Endpoint !== undefined, region: config.awsRegion === undefined ? regionOfZone(identity.zone) : undefined });
  const attachments = s3 === undefined || config.attachmentsBucket === undefined ? undefined : new AttachmentStore({ client: s3, bucket: config.attachmentsBucket });

  const active = new Set<http.ServerResponse>();
  const handle = createHandler({ pool, identity, readiness, schema, state, attachments });
  const server = http.createServer((req, res) => {
    active.add(res);
    res.once('close', () => active.delete(res));
    handle(req, res);
  });
  // Longer than the load balancer's idle timeout (ALB: 60 s), so the balancer, not the app, closes
  // idle connections; otherwise a request can race the app's close and fail with a 502.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  const beforeExit = (): void => {
    schema.stop();
    s3?.destroy();
  };
  installShutdown({ server, pool, state, timeoutMs: config.shutdownTimeoutMs, beforeExit, active });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const images = attachments === undefined ? 'image attachments off (no BUCKET_GUESTBOOK_ATTACHMENTS)' : `image attachments in bucket ${attachments.bucket}`;
  log.info(`listening on http://${host}:${port} as ${identity.instanceId} in ${identity.zone}${identity.source === 'fallback' ? ' (no instance metadata)' : ''}; ${images}`);
}

main().catch((e: unknown) => {
  log.warn(`failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
