/**
 * What bounds bench:s3's 8 MiB PUT ratio on the machine it runs on: the CPU this machine takes for
 * the work a three-copy store of Node.js processes must do per 8 MiB PUT (each digest, a loopback
 * hop per copy, a file write per copy), measured here, against the CPU a store may spend per PUT to
 * reach the target ratio while the load generator takes its share of the same cores.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from '../src/twin/storage/node/blocks.ts';
import { median } from './median.ts';

const BYTES = 8 * 1024 * 1024;
/** Samples per figure (the median is reported) and runs per sample: this kernel counts CPU time in ticks of a few ms. */
const SAMPLES = 5;
const RUNS = 8;

/** CPU ms per 8 MiB, measured in this process. */
export interface MachineCosts {
  readonly md5: number;
  readonly sha256: number;
  readonly crc32: number;
  /** Sending 8 MiB over an open loopback TCP connection and reading it: both ends. */
  readonly hop: number;
  /** Writing a copy over a file already in the page cache, in 1 MiB writes: the cheapest write there is. */
  readonly fileWrite: number;
  /** Writing a copy into a new file, as the stores do: dearer when the kernel must fetch fresh pages for it. */
  readonly newFileWrite: number;
}

/** CPU ms per call of `f`: the median over samples of RUNS calls each. */
async function cpuMs(f: (i: number) => void | Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const before = process.cpuUsage();
    for (let i = 0; i < RUNS; i++) await f(s * RUNS + i);
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000 / RUNS);
  }
  return median(samples);
}

/** A loopback connection to a server in this process that reads what is sent; `send` resolves once all of it arrived. */
async function loopbackPair(): Promise<{ send: (data: Buffer) => Promise<void>; close: () => Promise<void> }> {
  const server = createServer();
  let arrived: (n: number) => void = () => undefined;
  const accepted: Socket[] = [];
  server.on('connection', (socket) => {
    accepted.push(socket);
    socket.on('data', (chunk: Buffer) => arrived(chunk.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  return {
    send: (data) =>
      new Promise<void>((resolve) => {
        let got = 0;
        arrived = (n) => {
          got += n;
          if (got >= data.length) resolve();
        };
        client.write(data);
      }),
    close: async () => {
      client.destroy();
      for (const socket of accepted) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Writes `data` at the start of the open file `fd`, in 1 MiB writes. */
function writeCopy(fd: number, data: Buffer): void {
  for (let at = 0; at < data.length; at += 1024 * 1024) writeSync(fd, data, at, Math.min(1024 * 1024, data.length - at), at);
}

/** Measured after the stores stopped. The floor uses the cheapest write, which keeps it a lower bound. */
export async function machineCostsMs(): Promise<MachineCosts> {
  const data = randomBytes(BYTES);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'hastack-write-cost-'));
  const pair = await loopbackPair();
  const cached = openSync(path.join(folder, 'cached'), 'w+');
  try {
    writeCopy(cached, data);
    return {
      md5: await cpuMs(() => void createHash('md5').update(data).digest()),
      sha256: await cpuMs(() => void createHash('sha256').update(data).digest()),
      crc32: await cpuMs(() => void crc32(data)),
      hop: await cpuMs(() => pair.send(data)),
      fileWrite: await cpuMs(() => writeCopy(cached, data)),
      newFileWrite: await cpuMs((i) => {
        const fd = openSync(path.join(folder, String(i)), 'wx');
        writeCopy(fd, data);
        closeSync(fd);
      }),
    };
  } finally {
    closeSync(cached);
    await pair.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

export interface PutBound {
  /** CPU ms per PUT the store may use at the target rate, once the load generator has its share. */
  readonly budgetMs: number;
  /** The least CPU ms per PUT a store of Node.js processes keeping three copies in other processes needs here. */
  readonly floorMs: number;
  readonly targetOpsPerS: number;
}

/**
 * The floor: the endpoint reads the body (about half a hop), hashes it (MD5 for the ETag, SHA-256
 * because the SDK signs the payload over http, CRC32 for the checksum), sends it to three storage
 * processes (three hops, both ends), which write it to files. Nothing else — no HTTP, no fsync, no
 * checks on the nodes — so a real store needs more.
 */
export function putBound(cost: MachineCosts, o: { cores: number; referenceOpsPerS: number; target: number; loadMsPerPut: number }): PutBound {
  const targetOpsPerS = o.target * o.referenceOpsPerS;
  const budgetMs = (o.cores * 1000) / targetOpsPerS - o.loadMsPerPut;
  const floorMs = cost.md5 + cost.sha256 + cost.crc32 + 3.5 * cost.hop + 3 * cost.fileWrite;
  return { budgetMs, floorMs, targetOpsPerS };
}

/** The bench's paragraph on the bound, from this run's figures. */
export function boundParagraph(cost: MachineCosts, bound: PutBound, o: { cores: number; target: number; referenceMsPerPut: number }): string {
  const f = (n: number): string => n.toFixed(1);
  return [
    `What bounds the 8 MiB PUT ratio on this machine (CPU per 8 MiB, measured in this run): MD5 ${f(cost.md5)} ms (the ETag), SHA-256`,
    `${f(cost.sha256)} ms (the payload hash the SDK signs over http, which the endpoint must check), CRC32 ${f(cost.crc32)} ms (the checksum), one`,
    `loopback hop ${f(cost.hop)} ms (sender and receiver), writing one copy over cached pages ${f(cost.fileWrite)} ms (into a new file, as the stores`,
    `do: ${f(cost.newFileWrite)} ms). ${o.target}× s3rver is ${f(bound.targetOpsPerS)} PUT/s; on ${o.cores} cores, once the load generator has its share, that leaves`,
    `${f(bound.budgetMs)} ms of CPU per PUT for the whole store. The least a store of Node.js processes that keeps three copies in other processes`,
    `needs — the endpoint reading the body (half a hop) and hashing it, three hops to the copies, three of the cheapest writes, and no HTTP,`,
    `fsync or checks at all — is ${f(bound.floorMs)} ms${
      bound.floorMs > bound.budgetMs ? ', more than that budget: no such store can meet the target on this machine.' : ", within that budget: the shortfall is in the store's own cost (the CPU table)."
    }`,
    `s3rver, with one copy in its own process, uses ${f(o.referenceMsPerPut)} ms.`,
  ].join('\n');
}
