/**
 * The systemd service that runs the app on an instance: start-app.sh with the app's command,
 * restarted whenever it exits, stopped within spec.app.stopTimeout, output appended to a log file
 * the CloudWatch agent ships, run as an unprivileged user. Pure.
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html
 */
import { systemdQuote } from './shell.ts';

export interface AppUnitInput {
  readonly description: string;
  /** The start script, then the app's command and arguments. */
  readonly argv: readonly string[];
  /** The user the app runs as (its home is its state folder). */
  readonly user: string;
  /** Folders searched for commands, first to last. */
  readonly path: readonly string[];
  /** Variables for the start script itself (the app's own come from the environment file). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
  /** The app's port; below 1024 the unprivileged user needs CAP_NET_BIND_SERVICE. */
  readonly port: number;
}

/** The unit file's text. */
export function renderAppUnit(i: AppUnitInput): string {
  const env = { PATH: i.path.join(':'), HOME: `/var/lib/${i.user}`, ...i.environment };
  const lines = [
    '[Unit]',
    `Description=${i.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    // Never give up restarting: the load balancer's health check decides whether it is healthy.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `User=${i.user}`,
    `Group=${i.user}`,
    ...Object.entries(env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`, { variables: false })}`),
    `ExecStart=${i.argv.map((a) => systemdQuote(a)).join(' ')}`,
    'Restart=always',
    'RestartSec=1',
    `TimeoutStopSec=${i.stopTimeoutSeconds}`,
    `StandardOutput=append:${i.logFile}`,
    `StandardError=append:${i.logFile}`,
    `StateDirectory=${i.user}`,
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=full',
    'ProtectHome=yes',
    ...(i.port < 1024 ? ['AmbientCapabilities=CAP_NET_BIND_SERVICE'] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ];
  return `${lines.join('\n')}\n`;
}

export interface SecretWatchInput {
  /** secret-watch.sh on the instance. */
  readonly script: string;
  /** Variables secret-watch.sh reads (environment file, version file, app service). */
  readonly environment: Readonly<Record<string, string>>;
  readonly path: readonly string[];
  /** Seconds between checks. */
  readonly intervalSeconds: number;
  /** Seconds one run may take: its random delay before a restart, the app's stop, and the check itself. */
  readonly timeoutSeconds: number;
}

/** The oneshot service that runs secret-watch.sh and the timer that runs it every intervalSeconds. */
export function renderSecretWatchUnits(i: SecretWatchInput): { readonly service: string; readonly timer: string } {
  const env = { PATH: i.path.join(':'), ...i.environment };
  const service = [
    '[Unit]',
    'Description=hastack: restart the app when the database secret changes',
    '',
    '[Service]',
    'Type=oneshot',
    // A run sleeps before it restarts the app; systemd stops it if it hangs for longer than that.
    `TimeoutStartSec=${i.timeoutSeconds}`,
    ...Object.entries(env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`, { variables: false })}`),
    `ExecStart=${systemdQuote(i.script)}`,
    '',
  ];
  const timer = [
    '[Unit]',
    'Description=hastack: check the database secret for a new version',
    '',
    '[Timer]',
    // Counted from each instance's own boot; a run that restarts the app first waits a random
    // delay (secret-watch.sh), which is what keeps the instances from restarting together.
    `OnBootSec=${i.intervalSeconds}`,
    `OnUnitActiveSec=${i.intervalSeconds}`,
    'AccuracySec=1',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ];
  return { service: service.join('\n'), timer: timer.join('\n') };
}
