import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bad = fileURLToPath(new URL('../fixtures/bad.config.ts', import.meta.url));

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), isTTY: false };
}

describe('hastack validate', () => {
  it('GIVEN the example config WHEN validated THEN it prints ok and exits 0', async () => {
    const io = capture();
    assert.equal(await main(['validate', '--config', `${root}examples/guestbook/hastack.config.ts`], io), 0);
    assert.deepEqual(io.stdout, ['ok']);
  });

  it('GIVEN a config with mistakes WHEN validated THEN every problem is printed with its path and it exits 1', async () => {
    const io = capture();
    assert.equal(await main(['validate', '--config', bad], io), 1);
    assert.deepEqual(io.stdout, [
      'name: received "Bad Name", expected lowercase letters, digits and hyphens, starting with a letter, at most 32',
      'app.port: 70000 is above the maximum 65535 (port)',
      'loadBalancer.healthCheck.interval: 3 is below the minimum 5 (seconds)',
      'capacity.min: 4 must be <= capacity.max (3)',
    ]);
  });

  it('GIVEN a missing config file WHEN validated THEN it says which file and exits 1', async () => {
    const io = capture();
    assert.equal(await main(['validate', '--config', '/nonexistent/hastack.config.ts'], io), 1);
    assert.match(io.stderr.join('\n'), /config file not found: .*nonexistent.*HASTACK_SPEC_NOT_FOUND/);
  });

  it('GIVEN an unknown command or flag WHEN run THEN it exits 1 with a hint', async () => {
    const io = capture();
    assert.equal(await main(['frobnicate'], io), 1);
    assert.match(io.stderr.join('\n'), /unknown command "frobnicate"/);
    assert.equal(await main(['status', '--colour'], io), 1);
  });

  it('GIVEN the installed bin WHEN run with --help THEN it prints usage and exits 0', () => {
    const r = spawnSync(process.execPath, [`${root}bin/hastack.js`, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: hastack <command>/);
    assert.match(r.stdout, /fault zone-outage <zone>/);
  });

  it('GIVEN the bin WHEN validating a bad config THEN the exit code is 1', () => {
    const r = spawnSync(process.execPath, [`${root}bin/hastack.js`, 'validate', '--config', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /capacity|interval/);
  });
});
