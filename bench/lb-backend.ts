/**
 * A tiny backend for the load-balancer benchmark: plain node:http, keep-alive, a fixed small body,
 * and the health path. Runs in its own process; prints its port as one JSON line and exits when the
 * parent's IPC channel closes, so it never outlives the benchmark.
 */
import http from 'node:http';

const body = Buffer.from('hello from a backend\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
