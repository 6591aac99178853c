/**
 * The storage node process:
 *
 *   node --import tsx main.ts --data-dir D --zone Z --token-file F [--port 0]
 *        [--scrub-interval-ms N] [--scrub-bytes-per-second N] [--lifeline stdin]
 *
 * Serves the API of protocol.ts on 127.0.0.1. Once listening it prints exactly one line to stdout,
 * `{"ready":true,"port":N,"pid":P}`; its log goes to stderr, one JSON object per line. SIGTERM (or
 * SIGINT) stops it gracefully: no new requests, commits under way finish, exit 0. With
 * `--lifeline stdin`, so does the end of stdin: the process that started it holds the other end,
 * so the node never outlives it, however it died. A start failure is logged as
 * `{"event":"start-failed","code":…}` and exits 1.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isHastackError } from '../../../errors.ts';
import { storageError } from '../errors.ts';
import { parseNodeArgs } from './args.ts';
import { StorageNode } from './storage-node.ts';

function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(JSON.stringify({ at: new Date().toISOString(), event, ...fields }) + '\n');
}

async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw storageError('HASTACK_STORAGE_TOKEN_UNREADABLE', `token file ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const token = text.trim();
  if (token === '') throw storageError('HASTACK_STORAGE_TOKEN_UNREADABLE', `token file ${file} is empty; expected the token`);
  return token;
}

async function main(): Promise<void> {
  const args = parseNodeArgs(process.argv.slice(2));
  const token = await readToken(args.tokenFile);
  const node = await StorageNode.start({
    dataDir: path.resolve(args.dataDir),
    zone: args.zone,
    token,
    port: args.port,
    scrub: {
      ...(args.scrubIntervalMs !== undefined ? { intervalMs: args.scrubIntervalMs } : {}),
      ...(args.scrubBytesPerSecond !== undefined ? { bytesPerSecond: args.scrubBytesPerSecond } : {}),
    },
    log,
  });
  let stopping = false;
  const stop = (cause: NodeJS.Signals | 'lifeline'): void => {
    if (stopping) return;
    stopping = true;
    log('stopping', { cause });
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log('stop-failed', { error: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.lifeline === 'stdin') {
    process.stdin.on('end', () => stop('lifeline'));
    process.stdin.on('error', () => stop('lifeline'));
    process.stdin.resume();
  }
  process.stdout.write(JSON.stringify({ ready: true, port: node.port, pid: process.pid }) + '\n');
}

process.on('uncaughtException', (err) => {
  log('crashed', { error: err.stack ?? err.message });
  process.exit(1);
});

main().catch((err: unknown) => {
  log('start-failed', { code: isHastackError(err) ? err.code : 'HASTACK_INTERNAL', error: (err as Error).message });
  process.exit(1);
});
