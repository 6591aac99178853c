/**
 * Runs HAProxy for the benchmark under a watchdog: HAProxy has no way to notice that the benchmark
 * died, this process does (its IPC channel closes) and takes HAProxy down with it. Prints HAProxy's
 * pid as one JSON line. argv: the config file.
 */
import { spawn } from 'node:child_process';

const hp = spawn('haproxy', ['-db', '-f', process.argv[2]!], { stdio: ['ignore', 'ignore', 'inherit'] });
const stop = () => {
  hp.kill('SIGKILL');
  process.exit(0);
};
hp.on('spawn', () => process.stdout.write(`${JSON.stringify({ pid: hp.pid })}\n`));
hp.on('exit', (code) => process.exit(code ?? 1));
hp.on('error', () => process.exit(1));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
