import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { renderEnvFile } from '../../src/aws/compute/app-environment.ts';
import { BUNDLE_EXCLUDES } from '../../src/aws/compute/ha-compute.ts';
import { cloudWatchAgentConfig } from '../../src/aws/compute/cloudwatch-agent.ts';
import { shellQuote, systemdQuote, withoutCommentLines } from '../../src/aws/compute/shell.ts';
import { renderAppUnit } from '../../src/aws/compute/systemd-unit.ts';
import { instanceUserData, readSecretWatchScript, readStartScript } from '../../src/aws/compute/user-data.ts';
import { assertUserDataFits, DEPLOY_TIME_VALUE_BYTES, userDataBytes, USER_DATA_MAX_BYTES } from '../../src/aws/compute/user-data-size.ts';
import { LAUNCH_HOOK_MARGIN_SECONDS, LAUNCH_HOOK_NAME, LAUNCH_HOOK_TIMEOUT_SECONDS, launchGate, successCodeTest } from '../../src/aws/compute/launch-hook.ts';
import { isHastackError } from '../../src/errors.ts';
import { freePort } from '../../src/util/free-port.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { exampleSpec, GUESTBOOK_DIR, synth } from './synth.ts';

const START_SCRIPT = fileURLToPath(new URL('../../src/aws/compute/start-app.sh', import.meta.url));
const SECRET_WATCH_SCRIPT = fileURLToPath(new URL('../../src/aws/compute/secret-watch.sh', import.meta.url));
const REPO_NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';
const SHELLCHECK = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));
const NO_SHELLCHECK = SHELLCHECK === undefined ? 'shellcheck is not installed (Debian/Ubuntu package: shellcheck)' : false;

/** User data of `spec` with plain stand-ins for what only the deployment knows. */
function sampleUserData(spec: ResolvedSpec): string {
  return instanceUserData({
    spec,
    startDir: '',
    bundle: { bucket: 'cdk-hnb659fds-assets-123456789012-us-east-1', key: '0123abcd.zip' },
    bucketNames: new Map(spec.storage.buckets.map((b) => [b.name, `${spec.name}-data-${b.name}-1a2b3c`])),
    database: { secretArn: SECRET_ARN, host: 'db.abc.us-east-1.rds.amazonaws.com', port: '5432', name: 'guestbook' },
    logGroupName: 'guestbook-app-AppLogs-1A2B3C',
  });
}

/** Runs shellcheck on one file; returns its complaints (empty when clean). */
function shellcheck(file: string): string {
  const r = spawnSync(SHELLCHECK ?? 'shellcheck', ['--shell=bash', '--severity=style', file], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}

/** Sources an environment file with bash the way start-app.sh does and returns the variables it set. */
function sourceWithBash(file: string, names: readonly string[]): Record<string, string | undefined> {
  const r = spawnSync('bash', ['-c', 'set -a; . "$1"; set +a; shift; exec node -e "const o={};for(const n of process.argv.slice(1))o[n]=process.env[n];process.stdout.write(JSON.stringify(o))" -- "$@"', 'bash', file, ...names], {
    encoding: 'utf8',
    env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` },
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string | undefined>;
}

describe('quoting (pure)', () => {
  const values: Record<string, string> = {
    PLAIN: 'abc-1.2_3:/x',
    EMPTY: '',
    SPACES: 'two words  here',
    QUOTES: `it's "quoted"`,
    DOLLARS: '$HOME ${PATH} $(id) `id`',
    NEWLINE: 'line one\nline two',
    BACKSLASH: 'C:\\path\\',
  };

  it('GIVEN values with quotes, dollars, newlines and backslashes WHEN written as an environment file and sourced by bash THEN each comes back unchanged', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-env-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'app.env');
    await writeFile(file, renderEnvFile(values));
    assert.deepEqual(sourceWithBash(file, Object.keys(values)), values);
  });

  const systemdCases: [string, string, string][] = [
    ['a plain word', 'src/server.ts', 'src/server.ts'],
    ['a word with a space', 'two words', '"two words"'],
    ['a percent sign (a specifier)', '50%', '50%%'],
    ['a dollar sign (a variable)', '$HOME', '"$$HOME"'],
    ['quotes and a backslash', 'say "hi"\\', '"say \\"hi\\"\\\\"'],
    ['a lone semicolon', ';', '\\;'],
  ];
  for (const [name, input, expected] of systemdCases) {
    it(`GIVEN ${name} WHEN quoted for ExecStart THEN systemd reads it back as one literal word`, () => assert.equal(systemdQuote(input), expected));
  }

  it('GIVEN a value with a dollar sign WHEN quoted for Environment= THEN the dollar is kept (systemd expands none there)', () => {
    assert.equal(systemdQuote('GREETING=$5 off', { variables: false }), '"GREETING=$5 off"');
  });

  it('GIVEN a shell word WHEN quoted THEN plain words stay bare and others are single-quoted', () => {
    assert.equal(shellQuote('us-east-1'), 'us-east-1');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe('the app service (pure)', () => {
  it('GIVEN the guestbook with stopTimeout 25 WHEN its unit is rendered THEN systemd runs start-app.sh with the app command, restarts it always and stops it within 25 s', () => {
    const unit = renderAppUnit({
      description: 'guestbook app (hastack)',
      argv: ['/opt/hastack/start-app.sh', 'node', '--import', 'tsx', 'src/server.ts'],
      user: 'hastack-app',
      path: ['/opt/hastack/bin', '/usr/bin'],
      environment: { HASTACK_ENV_FILE: '/etc/hastack/app.env' },
      logFile: '/var/log/hastack/app.log',
      stopTimeoutSeconds: 25,
      port: 8080,
    });
    for (const line of [
      'ExecStart=/opt/hastack/start-app.sh node --import tsx src/server.ts',
      'Restart=always',
      'TimeoutStopSec=25',
      'User=hastack-app',
      'Environment=PATH=/opt/hastack/bin:/usr/bin',
      'Environment=HASTACK_ENV_FILE=/etc/hastack/app.env',
      'StandardOutput=append:/var/log/hastack/app.log',
      'WantedBy=multi-user.target',
    ]) {
      assert.ok(unit.split('\n').includes(line), `${line} in\n${unit}`);
    }
    assert.ok(!unit.includes('CAP_NET_BIND_SERVICE'), 'port 8080 needs no capability');
  });

  it('GIVEN app port 80 WHEN the unit is rendered THEN the unprivileged user may bind it', () => {
    const unit = renderAppUnit({ description: 'd', argv: ['/s'], user: 'u', path: ['/usr/bin'], environment: {}, logFile: '/l', stopTimeoutSeconds: 10, port: 80 });
    assert.ok(unit.includes('AmbientCapabilities=CAP_NET_BIND_SERVICE\n'));
  });
});

describe('user data', () => {
  it('GIVEN the guestbook WHEN its user data is rendered THEN it installs Node.js 22, fetches the bundle, installs production dependencies and starts the service', () => {
    const ud = sampleUserData(exampleSpec({ app: { env: { GREETING: 'hello world' } } }));
    for (const part of [
      'dnf install -y nodejs22 nodejs22-npm amazon-cloudwatch-agent',
      'ln -sfn /usr/bin/node-22 /opt/hastack/bin/node',
      'ln -sfn /usr/bin/npm-22 /opt/hastack/bin/npm',
      'aws s3 cp --only-show-errors --region us-east-1 s3://cdk-hnb659fds-assets-123456789012-us-east-1/0123abcd.zip /opt/hastack/app.zip',
      'retry npm ci --omit=dev',
      'retry npm install --omit=dev',
      "GREETING='hello world'\n",
      'PORT=8080\n',
      'HOST=0.0.0.0\n',
      'AWS_REGION=us-east-1\n',
      'BUCKET_GUESTBOOK_ATTACHMENTS=guestbook-data-guestbook-attachments-1a2b3c\n',
      'HASTACK_DB_SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf\n',
      'ExecStart=/opt/hastack/start-app.sh node --import tsx src/server.ts\n',
      '"log_group_name":"guestbook-app-AppLogs-1A2B3C"',
      'Environment=HASTACK_SECRET_VERSION_FILE=/var/lib/hastack-app/secret-version\n',
      'OnUnitActiveSec=30\n',
      'ExecStart=/opt/hastack/secret-watch.sh\n',
      'Environment=HASTACK_RESTART_SPREAD_SECONDS=300\n',
      // The spread, the app's stop timeout (10 s by default) and a minute.
      'TimeoutStartSec=370\n',
      'systemctl enable --now hastack-app.service hastack-secret-watch.timer',
    ]) {
      assert.ok(ud.includes(part), `user data holds ${JSON.stringify(part)}`);
    }
    assert.ok(ud.includes(withoutCommentLines(readStartScript())), 'start-app.sh is shipped without its comment lines');
    assert.ok(ud.includes(withoutCommentLines(readSecretWatchScript())), 'secret-watch.sh is shipped without its comment lines');
    assert.ok(!ud.includes('# hastack: starts the app on an EC2 instance'), 'the scripts\' comments stay out of the user data');
  });

  it('GIVEN the guestbook WHEN its user data is rendered THEN it is well below EC2\'s 16 KB, leaving room for app.env', () => {
    const bytes = userDataBytes(sampleUserData(exampleSpec()));
    assert.ok(bytes < 12 * 1024, `the guestbook's user data is ${bytes} bytes; expected well below ${USER_DATA_MAX_BYTES}`);
  });

  it('GIVEN autoScaling.metricPeriod 10 WHEN the user data is rendered THEN the CloudWatch agent samples the CPU every 10 s and sends it as often', () => {
    const ud = sampleUserData(exampleSpec({ autoScaling: { metricPeriod: 10 } }));
    assert.match(ud, /"cpu_usage_active"\s*\],\s*"totalcpu":\s*true,\s*"metrics_collection_interval":\s*10/);
    assert.match(ud, /"metrics":\s*\{\s*"namespace":\s*"CWAgent",\s*"force_flush_interval":\s*10,/);
  });

  it('GIVEN the default one-minute metric period WHEN the user data is rendered THEN the agent keeps its own CPU off and its default flush', () => {
    const ud = sampleUserData(exampleSpec());
    assert.doesNotMatch(ud, /cpu_usage_active/);
    assert.doesNotMatch(ud, /force_flush_interval/);
  });

  const agentCases: [string, number | undefined, Record<string, unknown>][] = [
    ['a 20 s CPU interval', 20, { force_flush_interval: 20 }],
    ['no CPU interval', undefined, {}],
  ];
  for (const [name, interval, flush] of agentCases) {
    it(`GIVEN ${name} WHEN the agent configuration is made THEN its metrics section ${interval === undefined ? 'has no force_flush_interval' : `flushes every ${interval} s`}`, () => {
      const metrics = cloudWatchAgentConfig({ logGroupName: 'g', appLogFile: '/l', cpuIntervalSeconds: interval })['metrics'] as Record<string, unknown>;
      assert.deepEqual(metrics['force_flush_interval'], flush['force_flush_interval']);
    });
  }

  it('GIVEN the user data and start-app.sh WHEN checked by shellcheck THEN it finds nothing', { skip: NO_SHELLCHECK }, async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-userdata-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'user-data.sh');
    await writeFile(file, sampleUserData(exampleSpec({ app: { env: { QUOTED: `it's "$x"` } } })));
    assert.equal(shellcheck(file), '');
    assert.equal(shellcheck(START_SCRIPT), '');
    assert.equal(shellcheck(SECRET_WATCH_SCRIPT), '');
  });

  it('GIVEN the synthesized app stack WHEN its launch template user data is checked by shellcheck THEN it finds nothing', { skip: NO_SHELLCHECK }, async (t) => {
    const s = synth(exampleSpec());
    const lt = Object.values(s.templates.app.findResources('AWS::EC2::LaunchTemplate'))[0] as { Properties: { LaunchTemplateData: { UserData: { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } } } } };
    const parts = lt.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
    // References (bucket names, ARNs, the log group) stand in as a plain word.
    const text = parts.map((p) => (typeof p === 'string' ? p : 'resolved-at-deploy')).join('');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-userdata-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'user-data.sh'), text);
    assert.equal(shellcheck(path.join(dir, 'user-data.sh')), '');
    assert.ok(text.includes('ExecStart=/opt/hastack/start-app.sh node --import tsx src/server.ts'));
  });
});

describe('launch hook gate (pure)', () => {
  const codeCases: [string, string][] = [
    ['200', 'code == 200'],
    ['200,202', 'code == 200 || code == 202'],
    ['200-299', '(code >= 200 && code <= 299)'],
    ['200,300-399', 'code == 200 || (code >= 300 && code <= 399)'],
  ];
  for (const [codes, test] of codeCases) {
    it(`GIVEN success codes ${codes} WHEN turned into a bash test THEN it is ${test}`, () => assert.equal(successCodeTest(codes), test));
  }

  it('GIVEN the guestbook WHEN its user data is rendered THEN the hook is completed on exit, after the service is started, and the probe is the load balancer\'s', () => {
    const ud = sampleUserData(exampleSpec({ loadBalancer: { healthCheck: { path: '/readyz', timeout: 3, successCodes: '200-204' } } }));
    const trap = ud.indexOf("trap 'complete_launch");
    const install = ud.indexOf('dnf install');
    const enable = ud.indexOf('systemctl enable --now hastack-app.service');
    const wait = ud.indexOf('while (( SECONDS < ');
    assert.ok(trap > 0 && trap < install, 'the hook is completed (ABANDON) even when an early step fails');
    assert.ok(enable > 0 && wait > enable, 'the wait comes after the app is started');
    assert.ok(ud.includes(`while (( SECONDS < ${LAUNCH_HOOK_TIMEOUT_SECONDS - LAUNCH_HOOK_MARGIN_SECONDS} )); do`));
    assert.ok(ud.includes('app_url=http://127.0.0.1:8080/readyz\n'));
    assert.ok(ud.includes("--max-time 3 \"$app_url\""));
    assert.ok(ud.includes('(( (code >= 200 && code <= 204) ))'));
    assert.ok(ud.includes('imds tags/instance/aws:autoscaling:groupName'), 'the group name comes from the instance tags, not the template');
  });
});

describe('launch hook gate (bash)', () => {
  let dir: string;
  let server: Server;
  let port = 0;
  let status = 200;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-launch-gate-'));
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    // curl answers instance metadata itself and hands everything else to the real curl;
    // aws records the call it was asked to make.
    await writeFile(
      path.join(bin, 'curl'),
      [
        '#!/bin/bash',
        'case "$*" in',
        '  *169.254.169.254/latest/api/token*) printf tok ;;',
        '  *169.254.169.254/latest/meta-data/instance-id*) printf i-0abc ;;',
        '  *169.254.169.254/latest/meta-data/tags/instance/aws:autoscaling:groupName*) printf grp-1 ;;',
        '  *169.254.169.254*) exit 22 ;;',
        '  *) exec /usr/bin/curl "$@" ;;',
        'esac',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(bin, 'aws'), `#!/bin/sh\necho "$*" >> ${shellQuote(path.join(dir, 'aws.log'))}\n`);
    await chmod(path.join(bin, 'curl'), 0o755);
    await chmod(path.join(bin, 'aws'), 0o755);
    server = createServer((req, res) => {
      res.statusCode = req.url === '/readyz' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the gate around `step` (a boot step) as user data does; `nearDeadline` starts the wait 3 s before it ends. */
  async function runGate(o: { step: string; successCodes: string; listening: boolean; nearDeadline: boolean }): Promise<{ code: number | null; output: string; aws: string }> {
    const gate = launchGate({ region: 'us-east-1', port: o.listening ? port : 9, path: '/readyz', successCodes: o.successCodes, probeTimeoutSeconds: 2 });
    const deadline = LAUNCH_HOOK_TIMEOUT_SECONDS - LAUNCH_HOOK_MARGIN_SECONDS;
    const script = ['#!/bin/bash', 'set -euo pipefail', 'retry() { "$@"; }', ...gate.setup, o.step, ...(o.nearDeadline ? [`SECONDS=${deadline - 3}`] : []), ...gate.wait, ''].join('\n');
    const file = path.join(dir, 'gate.sh');
    await writeFile(file, script);
    await writeFile(path.join(dir, 'aws.log'), '');
    const child = spawn('bash', [file], { env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, output, aws: await readFile(path.join(dir, 'aws.log'), 'utf8') };
  }

  const complete = (result: string): string =>
    `autoscaling complete-lifecycle-action --region us-east-1 --lifecycle-hook-name ${LAUNCH_HOOK_NAME} --auto-scaling-group-name grp-1 --instance-id i-0abc --lifecycle-action-result ${result}\n`;
  const cases: { name: string; step: string; status: number; successCodes: string; listening: boolean; nearDeadline: boolean; exit: number; result: string }[] = [
    { name: 'the app answers 200', step: 'true', status: 200, successCodes: '200', listening: true, nearDeadline: false, exit: 0, result: 'CONTINUE' },
    { name: 'the app answers 204 and 200-299 counts', step: 'true', status: 204, successCodes: '200-299', listening: true, nearDeadline: false, exit: 0, result: 'CONTINUE' },
    { name: 'the app answers only 503 until the deadline', step: 'true', status: 503, successCodes: '200', listening: true, nearDeadline: true, exit: 1, result: 'ABANDON' },
    { name: 'nothing listens until the deadline', step: 'true', status: 200, successCodes: '200', listening: false, nearDeadline: true, exit: 1, result: 'ABANDON' },
    { name: 'a boot step fails before the app starts', step: 'false', status: 200, successCodes: '200', listening: true, nearDeadline: false, exit: 1, result: 'ABANDON' },
  ];
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN the boot script ends THEN it completes the launch hook with ${c.result}`, { timeout: 30_000 }, async () => {
      status = c.status;
      const r = await runGate(c);
      assert.equal(r.code, c.exit, r.output);
      assert.equal(r.aws, complete(c.result), r.output);
    });
  }
});

describe('user data size', () => {
  it('GIVEN text without deploy-time values WHEN measured THEN it is its UTF-8 length', () => {
    assert.equal(userDataBytes('é\n'), 3);
  });

  it('GIVEN text with two deploy-time values WHEN measured THEN each counts as its bound', () => {
    const stack = new Stack(new App(), 'T');
    const a = new CfnParameter(stack, 'A').valueAsString;
    const b = new CfnParameter(stack, 'B').valueAsString;
    assert.equal(userDataBytes(`x=${a} y=${b}`), 'x= y='.length + 2 * DEPLOY_TIME_VALUE_BYTES);
  });

  it('GIVEN app.env that makes the boot script too large WHEN checked THEN HASTACK_AWS_SPEC_INVALID names app.env and both sizes', () => {
    const spec = exampleSpec({ app: { env: { BIG: 'x'.repeat(8 * 1024) } } });
    assert.throws(
      () => assertUserDataFits(spec, sampleUserData(spec)),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_AWS_SPEC_INVALID' && e.source === 'user' && /^app\.env: .* about \d+ bytes, of which app\.env takes 8\d{3}; expected at most 16384 bytes/.test(e.message),
    );
  });

  it('GIVEN the guestbook WHEN checked THEN it fits', () => {
    const spec = exampleSpec();
    assert.doesNotThrow(() => assertUserDataFits(spec, sampleUserData(spec)));
  });
});

/** Writes `script` into `dir` as the user data ships it (without comment lines); returns its path. */
async function shippedCopy(dir: string, script: string): Promise<string> {
  const file = path.join(dir, `shipped-${path.basename(script)}`);
  await writeFile(file, withoutCommentLines(await readFile(script, 'utf8')), { mode: 0o755 });
  return file;
}

/** Starts start-app.sh as shipped in its own process group; output is collected for failure messages. */
function startScript(shipped: string, args: readonly string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('bash', [shipped, ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function killGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
  if (!done) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('start-app.sh', () => {
  let dir: string;
  let shipped: string;
  const basePath = `${path.dirname(process.execPath)}:/usr/bin:/bin`;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-start-app-'));
    shipped = await shippedCopy(dir, START_SCRIPT);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('GIVEN the guestbook bundle and DATABASE_URL set WHEN start-app.sh starts it THEN the app answers GET /healthz on PORT', { timeout: 90_000 }, async (t) => {
    // The bundle as the asset holds it; dependencies come from the repository's node_modules
    // through a symlink instead of `npm ci`, to stay offline and fast.
    const app = path.join(dir, 'guestbook');
    const skip = new Set(BUNDLE_EXCLUDES);
    await cp(GUESTBOOK_DIR, app, { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
    await symlink(REPO_NODE_MODULES, path.join(app, 'node_modules'), 'dir');
    const port = await freePort();
    const envFile = path.join(dir, 'guestbook.env');
    await writeFile(envFile, renderEnvFile({ PORT: String(port), HOST: '127.0.0.1', AWS_EC2_METADATA_DISABLED: 'true', HASTACK_APP_DIR: app }));

    const run = startScript(shipped, ['node', '--import', 'tsx', 'src/server.ts'], {
      PATH: basePath,
      HOME: dir,
      HASTACK_ENV_FILE: envFile,
      // Nothing listens there: /healthz (liveness) needs no database.
      DATABASE_URL: 'postgres://guestbook:secret@127.0.0.1:9/guestbook',
    });
    t.after(() => killGroup(run.child, run.exited));

    const deadline = Date.now() + 60_000;
    let answer: { status: number; body: string } | undefined;
    while (Date.now() < deadline && answer === undefined && run.child.exitCode === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
        answer = { status: res.status, body: (await res.text()).trim() };
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.deepEqual(answer, { status: 200, body: 'ok' }, `the app did not answer; its output:\n${run.output()}`);
  });

  it('GIVEN no DATABASE_URL WHEN start-app.sh starts the app THEN it builds one from the secret with the password URL-encoded, in the app folder, without hastack\'s variables', { timeout: 30_000 }, async (t) => {
    const bin = path.join(dir, 'fake-bin');
    await mkdir(bin, { recursive: true });
    const secret = { username: 'app user', password: 'p@ss:w/rd?&#%"\'' };
    await writeFile(path.join(dir, 'answer.json'), JSON.stringify({ secret: JSON.stringify(secret), version: 'v-1' }));
    // Stands in for the AWS CLI: answers only the call start-app.sh must make.
    await writeFile(
      path.join(bin, 'aws'),
      [
        '#!/bin/sh',
        `[ "$*" = "secretsmanager get-secret-value --region us-east-1 --secret-id ${SECRET_ARN} --query {secret: SecretString, version: VersionId} --output json" ] || { echo "unexpected: aws $*" >&2; exit 2; }`,
        `cat ${shellQuote(path.join(dir, 'answer.json'))}`,
        '',
      ].join('\n'),
    );
    await chmod(path.join(bin, 'aws'), 0o755);
    const appDir = path.join(dir, 'app-folder');
    await mkdir(appDir, { recursive: true });
    const envFile = path.join(dir, 'secret.env');
    await writeFile(
      envFile,
      renderEnvFile({
        AWS_REGION: 'us-east-1',
        GREETING: `it's "fine"`,
        HASTACK_APP_DIR: appDir,
        HASTACK_DB_SECRET_ARN: SECRET_ARN,
        HASTACK_DB_HOST: 'db.abc.us-east-1.rds.amazonaws.com',
        HASTACK_DB_PORT: '5432',
        HASTACK_DB_NAME: 'guestbook',
        HASTACK_DB_CA_FILE: '/opt/hastack/rds-ca.pem',
      }),
    );
    const print = 'const e=process.env;process.stdout.write(JSON.stringify({url:e.DATABASE_URL,greeting:e.GREETING,cwd:process.cwd(),leaked:Object.keys(e).filter((k)=>k.startsWith("HASTACK_"))}))';
    const versionFile = path.join(dir, 'secret-version');
    const run = startScript(shipped, ['node', '-e', print], { PATH: `${bin}:${basePath}`, HASTACK_ENV_FILE: envFile, HASTACK_SECRET_VERSION_FILE: versionFile });
    t.after(() => killGroup(run.child, run.exited));
    const code = await run.exited;
    assert.equal(code, 0, run.output());
    const got = JSON.parse(run.output()) as { url: string; greeting: string; cwd: string; leaked: string[] };
    const url = new URL(got.url);
    assert.equal(url.protocol, 'postgres:');
    assert.equal(decodeURIComponent(url.username), secret.username);
    assert.equal(decodeURIComponent(url.password), secret.password);
    assert.equal(url.host, 'db.abc.us-east-1.rds.amazonaws.com:5432');
    assert.equal(url.pathname, '/guestbook');
    assert.equal(url.searchParams.get('sslmode'), 'verify-full');
    assert.equal(url.searchParams.get('sslrootcert'), '/opt/hastack/rds-ca.pem');
    assert.equal(got.greeting, `it's "fine"`);
    assert.equal(got.cwd, appDir);
    assert.deepEqual(got.leaked, []);
    assert.equal(await readFile(versionFile, 'utf8'), 'v-1\n', 'the version it read is recorded for secret-watch.sh');
  });

  it('GIVEN no DATABASE_URL and no database settings WHEN start-app.sh runs THEN it fails naming what is missing', { timeout: 30_000 }, async () => {
    const run = startScript(shipped, ['node', '-e', ''], { PATH: basePath, HASTACK_ENV_FILE: path.join(dir, 'missing.env') });
    assert.notEqual(await run.exited, 0);
    assert.match(run.output(), /DATABASE_URL is not set, and HASTACK_DB_SECRET_ARN HASTACK_DB_HOST HASTACK_DB_PORT HASTACK_DB_NAME AWS_REGION not in/);
  });

  it('GIVEN no command WHEN start-app.sh runs THEN it refuses with a usage error', { timeout: 30_000 }, async () => {
    const run = startScript(shipped, [], { PATH: basePath, DATABASE_URL: 'postgres://x@y/z' });
    assert.equal(await run.exited, 64);
    assert.match(run.output(), /no command given/);
  });

  it('GIVEN the shipped script WHEN read THEN it is the executable file beside the module', async () => {
    assert.equal(readStartScript(), await readFile(START_SCRIPT, 'utf8'));
  });
});

describe('secret-watch.sh', () => {
  let dir: string;
  let shipped: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-secret-watch-'));
    shipped = await shippedCopy(dir, SECRET_WATCH_SCRIPT);
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    // The AWS CLI answers the current version; systemctl records what it was asked; sleep records
    // how long it was asked to wait and, when told to, lets the app start again meanwhile.
    await writeFile(path.join(bin, 'aws'), `#!/bin/sh\n[ "$*" = "secretsmanager get-secret-value --region us-east-1 --secret-id ${SECRET_ARN} --query VersionId --output text" ] || exit 2\necho v-2\n`);
    await writeFile(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${shellQuote(path.join(dir, 'systemctl.log'))}\n`);
    await writeFile(
      path.join(bin, 'sleep'),
      `#!/bin/sh\necho "$*" >> ${shellQuote(path.join(dir, 'sleep.log'))}\nif [ -n "\${RESTARTED_MEANWHILE:-}" ]; then echo v-2 > "$HASTACK_SECRET_VERSION_FILE"; fi\n`,
    );
    for (const tool of ['aws', 'systemctl', 'sleep']) await chmod(path.join(bin, tool), 0o755);
    await writeFile(path.join(dir, 'app.env'), renderEnvFile({ AWS_REGION: 'us-east-1', HASTACK_DB_SECRET_ARN: SECRET_ARN }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  interface WatchCase {
    readonly name: string;
    readonly recorded: string | undefined;
    readonly spread?: number;
    readonly restartedMeanwhile?: boolean;
    readonly restarts: boolean;
    /** The delays it may have slept, inclusive; undefined: it must not sleep. */
    readonly slept?: readonly [number, number];
  }
  const cases: WatchCase[] = [
    { name: 'the app started with an older version and a 300 s spread', recorded: 'v-1\n', spread: 300, restarts: true, slept: [0, 300] },
    { name: 'the app started with an older version and no spread', recorded: 'v-1\n', restarts: true, slept: [0, 0] },
    { name: 'the app started with an older version but started again with the current one while waiting', recorded: 'v-1\n', spread: 300, restartedMeanwhile: true, restarts: false, slept: [0, 300] },
    { name: 'the app started with the current version', recorded: 'v-2\n', spread: 300, restarts: false },
    { name: 'no recorded version (DATABASE_URL came from the spec)', recorded: undefined, spread: 300, restarts: false },
  ];
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN secret-watch.sh runs THEN it ${c.restarts ? 'waits a random delay within the spread, then restarts the app' : 'leaves the app alone'}`, { timeout: 30_000 }, async () => {
      const versionFile = path.join(dir, 'secret-version');
      await rm(versionFile, { force: true });
      await writeFile(path.join(dir, 'systemctl.log'), '');
      await writeFile(path.join(dir, 'sleep.log'), '');
      if (c.recorded !== undefined) await writeFile(versionFile, c.recorded);
      const r = spawnSync('bash', [shipped], {
        encoding: 'utf8',
        timeout: 20_000,
        env: {
          PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
          HASTACK_ENV_FILE: path.join(dir, 'app.env'),
          HASTACK_SECRET_VERSION_FILE: versionFile,
          HASTACK_APP_SERVICE: 'hastack-app.service',
          ...(c.spread === undefined ? {} : { HASTACK_RESTART_SPREAD_SECONDS: String(c.spread) }),
          ...(c.restartedMeanwhile === true ? { RESTARTED_MEANWHILE: '1' } : {}),
        },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(await readFile(path.join(dir, 'systemctl.log'), 'utf8'), c.restarts ? 'restart hastack-app.service\n' : '');
      const slept = (await readFile(path.join(dir, 'sleep.log'), 'utf8')).trim();
      if (c.slept === undefined) {
        assert.equal(slept, '');
      } else {
        assert.match(slept, /^\d+$/);
        assert.ok(Number(slept) >= c.slept[0] && Number(slept) <= c.slept[1], `slept ${slept}, expected ${c.slept[0]}–${c.slept[1]}`);
      }
    });
  }
});
