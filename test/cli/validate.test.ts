import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bad = fileURLToPath(new URL('../fixtures/bad.config.ts', import.meta.url));

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes `config` as a hastack.config.ts in a new temp folder and returns its path. */
function tempConfig(config: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hastack-validate-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const file = path.join(dir, 'hastack.config.ts');
  writeFileSync(file, `export default ${JSON.stringify({ name: 'shop', app: { start: { command: 'node', args: ['server.js'] } }, ...config })};\n`);
  return file;
}

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

  it('GIVEN the example config WHEN validated THEN the plain-HTTP warning goes to stderr and stdout stays ok', async () => {
    const io = capture();
    assert.equal(await main(['validate', '--config', `${root}examples/guestbook/hastack.config.ts`], io), 0);
    assert.deepEqual(io.stdout, ['ok']);
    assert.ok(io.stderr.every((l) => l.startsWith('warning: ')), io.stderr.join('\n'));
    assert.ok(io.stderr.some((l) => l.startsWith('warning: loadBalancer.https: false')), io.stderr.join('\n'));
  });

  it('GIVEN a config the twin runs but AWS refuses WHEN validated THEN each AWS problem is an aws: line on stdout and it exits 1', async () => {
    const file = tempConfig({ zones: ['us-east-1a', 'eu-west-1b'], capacity: { min: 1 }, dns: { domain: 'shop.example.com' } });
    const io = capture();
    assert.equal(await main(['validate', '--config', file], io), 1);
    assert.deepEqual(io.stdout, [
      'aws: zones[1]: "eu-west-1b" is not an Availability Zone of us-east-1; expected one of us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f',
      'aws: dns.hostedZoneId: is missing, but dns.domain is "shop.example.com"; expected the id of the Route 53 public hosted zone "example.com" (Route 53 → Hosted zones), such as "Z0123456789ABCDEFGHIJ"',
      'aws: capacity.min: 1 leaves the app on one instance or none, a single point of failure; expected 2 or more, or aws.allowSingleInstance: true',
    ]);
    assert.match(io.stderr.join('\n'), /3 problems on AWS/);
  });

  it('GIVEN that config WHEN validated with --target twin THEN the AWS rules are skipped and it prints ok', async () => {
    const file = tempConfig({ zones: ['us-east-1a', 'eu-west-1b'], capacity: { min: 1 } });
    const io = capture();
    assert.equal(await main(['validate', '--config', file, '--target', 'twin'], io), 0);
    assert.deepEqual(io.stdout, ['ok']);
    assert.deepEqual(io.stderr, []);
  });

  it('GIVEN a config with only warnings WHEN validated for each AWS target THEN it prints ok, warns on stderr and exits 0', async () => {
    const file = tempConfig({ aws: { natGateways: 'single' }, database: { deletionProtection: false } });
    for (const target of [[], ['--target', 'aws'], ['--target', 'all']]) {
      const io = capture();
      assert.equal(await main(['validate', '--config', file, ...target], io), 0, target.join(' '));
      assert.deepEqual(io.stdout, ['ok']);
      assert.deepEqual(io.stderr, [
        'warning: aws.natGateways: "single": one NAT gateway carries every zone\'s outbound traffic; losing its zone cuts the others off',
        'warning: loadBalancer.https: false: the load balancer serves plain HTTP only; set dns (with a hosted zone) or loadBalancer.certificateArn for HTTPS',
        'warning: database.deletionProtection: false: the database can be deleted with the stack',
      ]);
    }
  });

  it('GIVEN --json WHEN validated THEN the output carries the spec and aws { problems, warnings }, and ok follows the AWS problems', async () => {
    const unknownRegion = tempConfig({ region: 'xx-nowhere-1' });
    const io = capture();
    assert.equal(await main(['validate', '--config', unknownRegion, '--json'], io), 1);
    const out = JSON.parse(io.stdout.join('\n')) as { ok: boolean; spec: { region: string }; aws: { problems: { path: string }[]; warnings: { path: string }[] } };
    assert.equal(out.ok, false);
    assert.equal(out.spec.region, 'xx-nowhere-1');
    assert.deepEqual(out.aws.problems.map((p) => p.path), ['region']);
    assert.deepEqual(out.aws.warnings.map((p) => p.path), ['loadBalancer.https']);
    assert.deepEqual(io.stderr, []);

    const twin = capture();
    assert.equal(await main(['validate', '--config', unknownRegion, '--json', '--target', 'twin'], twin), 0);
    const t = JSON.parse(twin.stdout.join('\n')) as Record<string, unknown>;
    assert.equal(t['ok'], true);
    assert.equal('aws' in t, false);
  });

  it('GIVEN an invalid config and --json WHEN validated THEN only the spec problems are given (AWS checks need a valid spec)', async () => {
    const io = capture();
    assert.equal(await main(['validate', '--config', bad, '--json'], io), 1);
    const out = JSON.parse(io.stdout.join('\n')) as Record<string, unknown>;
    assert.equal(out['ok'], false);
    assert.equal('aws' in out, false);
    assert.ok(Array.isArray(out['problems']));
  });

  it('GIVEN an unknown --target WHEN validated THEN it says what is allowed and exits 1 before loading the config', async () => {
    const io = capture();
    assert.equal(await main(['validate', '--config', '/nonexistent/hastack.config.ts', '--target', 'gcp'], io), 1);
    assert.deepEqual(io.stderr, ['hastack validate: --target: received "gcp", expected twin, aws or all']);
    assert.deepEqual(io.stdout, []);
  });

  it('GIVEN --help WHEN printed THEN validate\'s --target is described', async () => {
    const io = capture();
    assert.equal(await main(['--help'], io), 0);
    assert.match(io.stdout.join('\n'), /validate \[--config F\] \[--json\][^\n]*\n\s+\[--target twin\|aws\|all\]/);
  });
});
