/**
 * synth, diff, deploy and destroy from the CLI, as a user runs them: synth offline on the example
 * (templates, a clean cdk-nag AwsSolutions run, the NIST report), an AWS-only spec problem refused
 * before synthesis, deploy without credentials refused with what to do, destroy asking for --yes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = path.join(root, 'examples/guestbook/hastack.config.ts');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the installed bin with an environment that holds no AWS credentials at all. */
function hastack(args: readonly string[], home: string, timeoutMs = 180_000, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
  Object.assign(env, {
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extraEnv,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/hastack.js'), ...args], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hastack synth, diff, deploy, destroy', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'hastack-aws-cli-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('GIVEN the example and an account WHEN synthesized offline THEN four templates, no lookups left for deploy, no unacknowledged AwsSolutions finding, and the NIST report are written', async () => {
    const out = path.join(home, 'synth-out');
    const r = await hastack(['synth', '--config', example, '--out', out], home, 180_000, { CDK_DEFAULT_ACCOUNT: '123456789012' });
    assert.equal(r.code, 0, r.stderr);
    for (const s of ['network', 'data', 'app', 'monitoring']) {
      assert.ok(existsSync(path.join(out, `guestbook-${s}.template.json`)), `guestbook-${s}.template.json`);
      assert.match(r.stdout, new RegExp(`guestbook-${s}: \\d+ resources`));
    }
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
    assert.equal(manifest.missing, undefined, `context lookups left for deploy: ${JSON.stringify(manifest.missing)}`);
    assert.match(r.stdout, /cdk-nag AwsSolutions: 0 unacknowledged findings, \d+ acknowledged with reasons/);
    const acks = JSON.parse(readFileSync(path.join(out, 'aws-solutions-acknowledgments.json'), 'utf8')) as { rule: string; reason: string; path: string }[];
    for (const a of acks) assert.ok(a.reason.length >= 20, `${a.rule} at ${a.path} needs a specific reason, got ${JSON.stringify(a.reason)}`);
    assert.match(readFileSync(path.join(out, 'nist-800-53-r5-report.csv'), 'utf8'), /^rule,resource,description\n/);
  });

  it('GIVEN a domain without a hosted zone WHEN synthesized THEN it is refused before synthesis, naming the field', async () => {
    const dir = mkdtempSync(path.join(home, 'cfg-'));
    const cfg = path.join(dir, 'hastack.config.ts');
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      cfg,
      `export default { name: 'nozone', app: { start: { command: 'node', args: ['server.js'] } }, dns: { domain: 'app.example.com' } };\n`,
    );
    const r = await hastack(['synth', '--config', cfg, '--out', path.join(dir, 'out')], home);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /dns\.hostedZoneId: is missing, but dns\.domain is "app\.example\.com"/);
    assert.match(r.stderr, /HASTACK_AWS_SPEC_INVALID/);
    assert.equal(existsSync(path.join(dir, 'out')), false, 'nothing synthesized');
  });

  it('GIVEN no AWS credentials anywhere WHEN deploying THEN it stops with HASTACK_AWS_NO_CREDENTIALS and says what to configure', async () => {
    const r = await hastack(['deploy', '--config', example, '--out', path.join(home, 'deploy-out')], home);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /HASTACK_AWS_NO_CREDENTIALS/);
    assert.match(r.stderr, /aws configure|AWS_PROFILE/);
  });

  it('GIVEN destroy without --yes WHEN run THEN it names the stacks it would delete and does nothing', async () => {
    const r = await hastack(['destroy', '--config', example], home, 60_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /destroy deletes guestbook-monitoring and guestbook-app in us-east-1; run it again with --yes/);
  });
});
