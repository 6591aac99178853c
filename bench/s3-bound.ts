/**
 * What bounds bench:s3's 8 MiB PUT ratio on the machine it runs on: the CPU this machine takes for
 * the work a three-copy store of Node.js processes must do per 8 MiB PUT (reading the body, each
 * digest, a loopback hop per copy, a durable write per copy), measured here, against the CPU a store
 * may spend per PUT to reach the target ratio while the load generator takes its share of the same
 * cores.
 */
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
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
  /** Reading 8 MiB from a loopback TCP connection another process writes to: the receiving end alone. */
  readonly receive: number;
  /** Sending 8 MiB over an open loopback TCP connection and reading it: both ends. */
  readonly hop: number;
  /** Writing a copy over a file already in the page cache (1 MiB writes), then fdatasync: the cheapest durable write. */
  readonly durableWrite: number;
  /** The same into a new file, as the stores do: dearer when the kernel must fetch fresh pages for it. */
  readonly newFileWrite: number;
}

/** CPU ms per call of `f`: the median over samples of `runs` calls each. */
async function cpuMs(f: (i: number) => void | Promise<void>, runs = RUNS): Promise<number> {
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const before = process.cpuUsage();
    for (let i = 0; i < runs; i++) await f(s * runs + i);
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000 / runs);
  }
  return median(samples);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
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
  const client = connect(await listen(server), '127.0.0.1');
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

/** The sender of `receiveCostMs`, run in a child process: connects, writes `count` × 8 MiB, ends. */
const SENDER = `
const net = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const data = Buffer.alloc(${BYTES}, 7);
const socket = net.connect(port, '127.0.0.1', () => {
  let left = count;
  const more = () => { while (left > 0) { left--; if (!socket.write(data)) return void socket.once('drain', more); } socket.end(); };
  more();
});
socket.on('error', () => process.exit(1));
`;

/** CPU ms this process takes to read 8 MiB that another process sends it over loopback. */
async function receiveCostMs(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  const sender = spawn(process.execPath, ['-e', SENDER, String(port), String(SAMPLES * RUNS)], { stdio: 'ignore' });
  try {
    const samples = await new Promise<number[]>((resolve, reject) => {
      sender.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the loopback sender exited with code ${code}`))));
      server.once('connection', (socket) => {
        const out: number[] = [];
        const perSample = RUNS * BYTES;
        let got = 0;
        let before = process.cpuUsage();
        socket.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got < perSample) return;
          const used = process.cpuUsage(before);
          out.push((used.user + used.system) / 1000 / RUNS);
          got -= perSample;
          before = process.cpuUsage();
          if (out.length === SAMPLES) resolve(out);
        });
        socket.on('error', reject);
      });
    });
    return median(samples);
  } finally {
    sender.kill();
    await new Promise((r) => server.close(r));
  }
}

/** Writes `data` at the start of the open file `fd` in 1 MiB writes, then makes it durable. */
function writeDurably(fd: number, data: Buffer): void {
  for (let at = 0; at < data.length; at += 1024 * 1024) writeSync(fd, data, at, Math.min(1024 * 1024, data.length - at), at);
  fdatasyncSync(fd);
}

/** Measured after the stores stopped. The floor uses the cheapest durable write, which keeps it a lower bound. */
export async function machineCostsMs(): Promise<MachineCosts> {
  const data = randomBytes(BYTES);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'hastack-write-cost-'));
  const pair = await loopbackPair();
  const cached = openSync(path.join(folder, 'cached'), 'w+');
  try {
    writeDurably(cached, data);
    return {
      md5: await cpuMs(() => void createHash('md5').update(data).digest()),
      sha256: await cpuMs(() => void createHash('sha256').update(data).digest()),
      crc32: await cpuMs(() => void crc32(data)),
      receive: await receiveCostMs(),
      hop: await cpuMs(() => pair.send(data)),
      durableWrite: await cpuMs(() => writeDurably(cached, data)),
      // Two per sample: ten new files (80 MiB), kept until the end so each one takes fresh pages.
      newFileWrite: await cpuMs((i) => {
        const fd = openSync(path.join(folder, String(i)), 'wx');
        writeDurably(fd, data);
        closeSync(fd);
      }, 2),
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
 * The budget: the machine's CPU at the target rate, less the load generator's CPU per PUT (the
 * caller passes the smaller of its figures against the two stores). The floor: the endpoint reads
 * the body, hashes it (MD5 for the ETag, SHA-256 because the SDK signs the payload over http, CRC32
 * for the checksum), sends it to three storage processes (three hops, both ends), which write it
 * durably over cached pages. Nothing else — no HTTP, no stream or bookkeeping cost, no checks on the
 * nodes, no fresh pages — so a real store needs more.
 */
export function putBound(cost: MachineCosts, o: { cores: number; referenceOpsPerS: number; target: number; loadMsPerPut: number }): PutBound {
  const targetOpsPerS = o.target * o.referenceOpsPerS;
  const budgetMs = (o.cores * 1000) / targetOpsPerS - o.loadMsPerPut;
  const floorMs = cost.receive + cost.md5 + cost.sha256 + cost.crc32 + 3 * cost.hop + 3 * cost.durableWrite;
  return { budgetMs, floorMs, targetOpsPerS };
}

/** The bench's paragraph on the bound, from this run's figures. */
export function boundParagraph(cost: MachineCosts, bound: PutBound, o: { cores: number; target: number; referenceMsPerPut: number }): string {
  const f = (n: number): string => n.toFixed(1);
  return [
    `What bounds the 8 MiB PUT ratio on this machine (CPU per 8 MiB, measured in this run): MD5 ${f(cost.md5)} ms (the ETag), SHA-256`,
    `${f(cost.sha256)} ms (the payload hash the SDK signs over http, which the endpoint must check), CRC32 ${f(cost.crc32)} ms (the checksum);`,
    `reading 8 MiB from another process over loopback ${f(cost.receive)} ms, one loopback hop ${f(cost.hop)} ms (sender and receiver); writing one`,
    `copy over cached pages and fdatasync ${f(cost.durableWrite)} ms (into a new file, as the stores do: ${f(cost.newFileWrite)} ms).`,
    `${o.target}× s3rver is ${f(bound.targetOpsPerS)} PUT/s; on ${o.cores} cores, once the load generator has its share (the smaller of its two figures),`,
    `that leaves ${f(bound.budgetMs)} ms of CPU per PUT for the whole store. The least a store of Node.js processes that keeps three copies in`,
    `other processes needs — the endpoint reading the body and hashing it, three hops to the copies, three of the cheapest durable writes, and no`,
    `HTTP, stream or bookkeeping cost at all — is ${f(bound.floorMs)} ms${
      bound.floorMs > bound.budgetMs
        ? ', more than that budget: no such store can meet the target on this machine.'
        : `, within that budget by ${f(bound.budgetMs - bound.floorMs)} ms, which would have to cover all of the store's HTTP, streams and bookkeeping.`
    }`,
    `s3rver, with one copy in its own process, uses ${f(o.referenceMsPerPut)} ms.`,
  ].join('\n');
}
