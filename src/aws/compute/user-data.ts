/**
 * The boot script of an app instance (EC2 user data, run once by cloud-init as root on Amazon
 * Linux 2023): installs Node.js and the CloudWatch agent, starts the agent, fetches the app bundle
 * from the CDK asset bucket, installs its production dependencies, and runs it under systemd with
 * start-app.sh; a timer runs secret-watch.sh, which restarts the app when RDS has rotated the
 * database password. It ends by waiting for the app to answer its health check and completing the
 * group's launch hook (launch-hook.ts), so the instance goes in service only with a running app.
 * Pure: the values only known at deploy time arrive as (token) strings.
 *
 * Node.js: AL2023 ships each major version as a namespaced package (`nodejs22` with `node-22`,
 * `nodejs22-npm` with `npm-22` and `npx-22`), several of which can be installed side by side; the
 * plain `node` is whichever the system's alternatives point at. hastack installs NODE_MAJOR and
 * links `node`, `npm` and `npx` to it in its own bin folder, first on the app's PATH, so a spec
 * command `node` (or `npm`) means that version whatever the system default is.
 * @see https://docs.aws.amazon.com/linux/al2023/ug/nodejs.html
 */
import { readFileSync } from 'node:fs';
import { HastackError } from '../../errors.ts';
import type { ResolvedSpec } from '../../spec/types.ts';
import { appEnvironment, renderEnvFile } from './app-environment.ts';
import { cloudWatchAgentConfig } from './cloudwatch-agent.ts';
import { launchGate, type LaunchGate } from './launch-hook.ts';
import { agentCpuInterval } from './scaling.ts';
import { shellQuote, withoutCommentLines, writeFileCommand } from './shell.ts';
import { renderAppUnit, renderSecretWatchUnits } from './systemd-unit.ts';

/** The Node.js major version installed on the instances (its AL2023 packages and binaries are named after it). */
export const NODE_MAJOR = 22;

/** Where things live on an instance. */
export const INSTANCE_PATHS = {
  root: '/opt/hastack',
  bin: '/opt/hastack/bin',
  /** The unpacked app bundle (the asset's root). */
  app: '/opt/hastack/app',
  startScript: '/opt/hastack/start-app.sh',
  secretWatchScript: '/opt/hastack/secret-watch.sh',
  /** The secret version the app started with (in the app user's state folder). */
  secretVersion: '/var/lib/hastack-app/secret-version',
  /** The RDS certificate authorities of the region, for sslmode=verify-full. */
  databaseCa: '/opt/hastack/rds-ca.pem',
  envFile: '/etc/hastack/app.env',
  logDir: '/var/log/hastack',
  appLog: '/var/log/hastack/app.log',
  agentConfig: '/opt/aws/amazon-cloudwatch-agent/etc/hastack.json',
  unit: '/etc/systemd/system/hastack-app.service',
  secretWatchUnit: '/etc/systemd/system/hastack-secret-watch.service',
  secretWatchTimer: '/etc/systemd/system/hastack-secret-watch.timer',
} as const;

/** The unprivileged user the app runs as. */
export const APP_USER = 'hastack-app';
/** The systemd service that runs the app. */
export const APP_SERVICE = 'hastack-app.service';
/**
 * Seconds between checks of the database secret's version. A rotated password fails new
 * connections until the app restarts, so this is short; each check is one Secrets Manager call.
 */
export const SECRET_CHECK_SECONDS = 30;
/**
 * Longest random delay, in seconds, before an instance restarts its app for a rotated password.
 * All instances notice a rotation within SECRET_CHECK_SECONDS of each other; spread uniformly over
 * five minutes, the restarts of two instances (each the app's stop, start and the load balancer's
 * healthy checks, some 20 s) overlap about one time in eight, and a whole group of three rarely
 * restarts at once. The price: an instance may open new database connections with the old
 * password for up to this long after a rotation.
 */
export const SECRET_RESTART_SPREAD_SECONDS = 300;

export interface UserDataInput {
  readonly stackName: string;
  readonly region: string;
  /** The zipped app bundle in the asset bucket. */
  readonly bundle: { readonly bucket: string; readonly key: string };
  /** The environment file's text (see app-environment.ts). */
  readonly envFile: string;
  /** The systemd unit's text (see systemd-unit.ts). */
  readonly unit: string;
  /** The CloudWatch agent's JSON configuration. */
  readonly agentConfig: string;
  /** The systemd units that restart the app when the database secret changes. */
  readonly secretWatch: { readonly service: string; readonly timer: string };
  /** The launch hook's completion (set up first) and the wait for the app (last). See launch-hook.ts. */
  readonly launchGate: LaunchGate;
  /** start-app.sh's text. @default - the file beside this module, without its comment lines */
  readonly startScript?: string;
  /** secret-watch.sh's text. @default - the file beside this module, without its comment lines */
  readonly secretWatchScript?: string;
}

/** start-app.sh as shipped in this package. */
export function readStartScript(): string {
  return readFileSync(new URL('./start-app.sh', import.meta.url), 'utf8');
}

/** secret-watch.sh as shipped in this package. */
export function readSecretWatchScript(): string {
  return readFileSync(new URL('./secret-watch.sh', import.meta.url), 'utf8');
}

/** The whole user data script. Throws when a file's text would end a here-document early. */
export function renderUserData(i: UserDataInput): string {
  const p = INSTANCE_PATHS;
  const write = (file: string, content: string): string => {
    const command = writeFileCommand(file, content);
    if (command === undefined) {
      throw new HastackError('HASTACK_INTERNAL', 'internal', `user data: the text for ${file} holds a line that ends a here-document; it cannot be written verbatim`);
    }
    return command;
  };
  const caUrl = `https://truststore.pki.rds.amazonaws.com/${i.region}/${i.region}-bundle.pem`;
  const lines = [
    '#!/bin/bash',
    `# hastack: boots an app instance of ${i.stackName}. Its output is in /var/log/cloud-init-output.log`,
    '# and in the app log group (stream <instance id>/boot).',
    'set -euo pipefail',
    // cloud-init runs this without a HOME; npm and the AWS CLI want one.
    'export HOME=/root',
    `export PATH=${p.bin}:/usr/local/bin:/usr/bin:/usr/local/sbin:/usr/sbin`,
    '',
    '# Repositories, S3 and the npm registry can fail for a moment while an instance boots.',
    'retry() {',
    '  local attempt',
    '  for attempt in 1 2 3 4 5; do',
    '    if "$@"; then return 0; fi',
    '    echo "hastack: attempt $attempt of 5 failed: $*" >&2',
    '    sleep $((attempt * 5))',
    '  done',
    '  return 1',
    '}',
    '',
    ...i.launchGate.setup,
    '',
    `# Node.js ${NODE_MAJOR} (namespaced on AL2023), the CloudWatch agent, and tools the boot uses.`,
    `retry dnf install -y nodejs${NODE_MAJOR} nodejs${NODE_MAJOR}-npm amazon-cloudwatch-agent unzip logrotate`,
    `install -d -m 0755 ${p.bin}`,
    ...['node', 'npm', 'npx'].map((c) => `ln -sfn /usr/bin/${c}-${NODE_MAJOR} ${p.bin}/${c}`),
    `id -u ${APP_USER} >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin ${APP_USER}`,
    '',
    '# Logs and metrics first, so a failing boot is visible in CloudWatch Logs.',
    `install -d -m 0755 ${p.logDir}`,
    `touch ${p.appLog}`,
    `chmod 0640 ${p.appLog}`,
    write(
      '/etc/logrotate.d/hastack-app',
      // copytruncate: systemd keeps the file open in append mode; the agent follows the truncation.
      `${p.appLog} {\n  daily\n  rotate 7\n  maxsize 100M\n  missingok\n  notifempty\n  compress\n  delaycompress\n  copytruncate\n}\n`,
    ),
    write(p.agentConfig, i.agentConfig),
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${p.agentConfig}`,
    '',
    '# The RDS certificate authorities, so the app verifies the database it connects to.',
    `retry curl -fsS --max-time 60 -o ${p.databaseCa} ${shellQuote(caUrl)}`,
    `chmod 0644 ${p.databaseCa}`,
    '',
    '# The app bundle and its production dependencies (npm ci when the bundle has a lock file).',
    `retry aws s3 cp --only-show-errors --region ${shellQuote(i.region)} ${shellQuote(`s3://${i.bundle.bucket}/${i.bundle.key}`)} ${p.root}/app.zip`,
    `rm -rf ${p.app}`,
    `install -d -m 0755 ${p.app}`,
    `unzip -q ${p.root}/app.zip -d ${p.app}`,
    `rm -f ${p.root}/app.zip`,
    `if [[ -f ${p.app}/package.json ]]; then`,
    `  cd ${p.app}`,
    '  if [[ -f package-lock.json ]]; then',
    '    retry npm ci --omit=dev --no-audit --no-fund',
    '  else',
    '    retry npm install --omit=dev --no-audit --no-fund',
    '  fi',
    '  cd /',
    'fi',
    '',
    '# The environment, the start script and the service; systemd restarts the app whenever it exits.',
    `install -d -m 0750 -g ${APP_USER} /etc/hastack`,
    write(p.envFile, i.envFile),
    `chgrp ${APP_USER} ${p.envFile}`,
    `chmod 0640 ${p.envFile}`,
    write(p.startScript, i.startScript ?? withoutCommentLines(readStartScript())),
    `chmod 0755 ${p.startScript}`,
    write(p.unit, i.unit),
    write(p.secretWatchScript, i.secretWatchScript ?? withoutCommentLines(readSecretWatchScript())),
    `chmod 0755 ${p.secretWatchScript}`,
    write(p.secretWatchUnit, i.secretWatch.service),
    write(p.secretWatchTimer, i.secretWatch.timer),
    'systemctl daemon-reload',
    `systemctl enable --now ${APP_SERVICE} hastack-secret-watch.timer`,
    '',
    ...i.launchGate.wait,
    '',
  ];
  return lines.join('\n');
}

/** What only the deployment knows (tokens in a template, plain strings in a test). */
export interface InstanceUserDataInput {
  readonly spec: ResolvedSpec;
  /** spec.app.start.cwd relative to the bundle's root, `/`-separated ('' for the root). */
  readonly startDir: string;
  readonly bundle: { readonly bucket: string; readonly key: string };
  /** Real bucket name by spec bucket name. */
  readonly bucketNames: ReadonlyMap<string, string>;
  readonly database: { readonly secretArn: string; readonly host: string; readonly port: string; readonly name: string };
  readonly logGroupName: string;
}

/** The user data of an app instance of `spec`: environment, service and agent configuration included. */
export function instanceUserData(i: InstanceUserDataInput): string {
  const { spec } = i;
  const p = INSTANCE_PATHS;
  const env = appEnvironment({
    spec,
    bucketNames: i.bucketNames,
    appDir: i.startDir === '' ? p.app : `${p.app}/${i.startDir}`,
    database: { ...i.database, caFile: p.databaseCa },
  });
  return renderUserData({
    stackName: spec.name,
    region: spec.region,
    bundle: i.bundle,
    envFile: renderEnvFile(env),
    unit: renderAppUnit({
      description: `${spec.name} app (hastack)`,
      argv: [p.startScript, spec.app.start.command, ...spec.app.start.args],
      user: APP_USER,
      path: [p.bin, '/usr/local/bin', '/usr/bin'],
      environment: { HASTACK_ENV_FILE: p.envFile, HASTACK_SECRET_VERSION_FILE: p.secretVersion },
      logFile: p.appLog,
      stopTimeoutSeconds: spec.app.stopTimeout,
      port: spec.app.port,
    }),
    secretWatch: renderSecretWatchUnits({
      script: p.secretWatchScript,
      environment: {
        HASTACK_ENV_FILE: p.envFile,
        HASTACK_SECRET_VERSION_FILE: p.secretVersion,
        HASTACK_APP_SERVICE: APP_SERVICE,
        HASTACK_RESTART_SPREAD_SECONDS: String(SECRET_RESTART_SPREAD_SECONDS),
      },
      path: [p.bin, '/usr/local/bin', '/usr/bin'],
      intervalSeconds: SECRET_CHECK_SECONDS,
      // The delay, the app's stop, and a minute for the Secrets Manager call and the app's start.
      timeoutSeconds: SECRET_RESTART_SPREAD_SECONDS + spec.app.stopTimeout + 60,
    }),
    launchGate: launchGate({
      region: spec.region,
      port: spec.app.port,
      path: spec.loadBalancer.healthCheck.path,
      successCodes: spec.loadBalancer.healthCheck.successCodes,
      probeTimeoutSeconds: spec.loadBalancer.healthCheck.timeout,
    }),
    // Compact: user data is limited to 16 KB.
    agentConfig: JSON.stringify(cloudWatchAgentConfig({ logGroupName: i.logGroupName, appLogFile: p.appLog, cpuIntervalSeconds: agentCpuInterval(spec) })),
  });
}
