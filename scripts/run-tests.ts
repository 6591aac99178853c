// Runs every test file under test/ with Node's own runner, one file at a time (the twin's tests
// start real processes; running them side by side on a small machine would only make them slower).
// Node 20's runner takes no glob patterns, so the files are listed here. Extra args narrow the run:
// `npm test -- test/spec` runs the files under test/spec.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test'])
  .flatMap((root) => (root.endsWith('.ts') ? [root] : readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => path.join(root, f))))
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
