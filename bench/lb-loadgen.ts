/**
 * A closed-loop HTTP/1.1 load generator over raw keep-alive sockets, run as its own process so it
 * does not share an event loop with what it measures. Each connection sends one GET, waits for the
 * whole response, records the latency and sends the next (no pipelining, as a browser or SDK does).
 *
 * argv: host port connections warmupMs durationMs. Prints one JSON line with the result.
 */
import net from 'node:net';

interface Result {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

// The benchmark starts this with an IPC channel; if the benchmark dies, so does this.
process.on('disconnect', () => process.exit(0));

const [host = '127.0.0.1', portArg = '0', connArg = '50', warmArg = '1000', durArg = '10000'] = process.argv.slice(2);
const port = Number(portArg);
const connections = Number(connArg);
const warmupMs = Number(warmArg);
const durationMs = Number(durArg);

// One bucket per microsecond up to 2 s; slower responses land in the last bucket.
const BUCKETS = 2_000_001;
const histogram = new Uint32Array(BUCKETS);
let recording = false;
let stopping = false;
let requests = 0;
let errors = 0;
let non2xx = 0;
let maxUs = 0;

const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: hastack-bench\r\n\r\n`, 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n', 'latin1');

function record(startNs: bigint, status: number): void {
  if (!recording) return;
  const us = Number((process.hrtime.bigint() - startNs) / 1000n);
  histogram[us < BUCKETS ? us : BUCKETS - 1]! += 1;
  if (us > maxUs) maxUs = us;
  requests += 1;
  if (status < 200 || status > 299) non2xx += 1;
}

function connect(): void {
  if (stopping) return;
  const socket = net.connect({ host, port, noDelay: true });
  let buf: Buffer = Buffer.alloc(0);
  let started = 0n;
  const send = (): void => {
    if (stopping) {
      socket.destroy();
      return;
    }
    started = process.hrtime.bigint();
    socket.write(request);
  };
  socket.on('connect', send);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const headEnd = buf.indexOf(CRLFCRLF);
      if (headEnd < 0) return;
      const head = buf.toString('latin1', 0, headEnd);
      const status = Number(head.slice(9, 12));
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      let total: number;
      if (cl !== null) {
        total = headEnd + 4 + Number(cl[1]);
        if (buf.length < total) return;
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const end = buf.indexOf(CHUNKED_END, headEnd + 2);
        if (end < 0) return;
        total = end + CHUNKED_END.length;
      } else {
        total = headEnd + 4;
      }
      record(started, status);
      buf = buf.subarray(total);
      const closing = /\r\nconnection:\s*close/i.test(head);
      if (closing) {
        socket.destroy();
        connect();
        return;
      }
      send();
    }
  });
  socket.on('error', () => {
    if (recording) errors += 1;
  });
  socket.on('close', () => {
    if (!stopping) setTimeout(connect, 1);
  });
}

function percentile(p: number, total: number): number {
  const want = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += histogram[i]!;
    if (seen >= want) return i / 1000;
  }
  return (BUCKETS - 1) / 1000;
}

for (let i = 0; i < connections; i++) connect();
setTimeout(() => {
  recording = true;
  const t0 = process.hrtime.bigint();
  setTimeout(() => {
    recording = false;
    stopping = true;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const result: Result = {
      requests,
      errors,
      non2xx,
      seconds,
      rps: requests / seconds,
      p50Ms: percentile(0.5, requests),
      p99Ms: percentile(0.99, requests),
      maxMs: maxUs / 1000,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  }, durationMs);
}, warmupMs);
