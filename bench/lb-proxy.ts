/**
 * Runs the twin's load balancer alone in this process for the benchmark, in front of the backend
 * ports given on argv, and prints its port as one JSON line once every target is healthy. Exits
 * when the parent's IPC channel closes.
 */
import { LoadBalancer } from '../src/twin/lb/index.ts';

const ports = process.argv.slice(2).map(Number);
const lb = new LoadBalancer({
  name: 'bench',
  httpPort: 0,
  config: {
    https: false,
    certificateArn: undefined,
    algorithm: 'round_robin',
    deregistrationDelay: 30,
    slowStart: 0,
    idleTimeout: 60,
    // HAProxy's side of the comparison uses the same health-check cadence (inter 2 s).
    healthCheck: { path: '/readyz', interval: 2, timeout: 1, healthyThreshold: 2, unhealthyThreshold: 3, successCodes: '200' },
  },
  // Metrics are counted in memory and flushed each second, as in the twin.
  metrics: { put: () => {} },
});

const { httpPort } = await lb.start();
ports.forEach((port, i) => lb.registerTarget({ id: `i-bench${i}`, zone: `local-1${'abc'[i % 3]}`, host: '127.0.0.1', port }));
const started = Date.now();
while (!ports.every((_, i) => lb.isHealthy(`i-bench${i}`))) {
  if (Date.now() - started > 10_000) throw new Error('backends did not become healthy');
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`${JSON.stringify({ port: httpPort })}\n`);
const stop = () => void lb.close().then(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
