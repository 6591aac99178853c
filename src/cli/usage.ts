export const USAGE = `hastack — high availability for a web app on AWS, and a local twin to break on purpose

Usage: hastack <command> [options]

Commands:
  up [--config F] [--detach] [--json]   start the local twin (foreground with live status; --detach
     [--fidelity fast|aws] [--storage]   returns once every target is healthy and prints the endpoints);
                                         --fidelity aws makes database failovers take RDS's 60–120 s;
                                         --storage starts the S3 endpoint even when no bucket is declared
  status [--json]                        zones, instances, target health, database and storage nodes,
                                         objects under-replicated, the spec's alarms, recent activities
  down [--purge]                         stop the twin (drains targets first); --purge also deletes .hastack/
  logs [instance] [--lines N]            an instance's output (or the twin's event log)
  env [--json]                           the variables an instance gets (DATABASE_URL, AWS_ENDPOINT_URL_S3,
                                         AWS_ACCESS_KEY_ID, …), as export lines for eval
  fault kill-instance <id>               SIGKILL one instance
  fault hang-instance <id> [--seconds N] SIGSTOP one instance (SIGCONT after N seconds, if given)
  fault resume-instance <id>             SIGCONT a hung instance
  fault zone-outage <zone> [--seconds N] take a zone down (instances and zonal services); back after N s
  fault zone-restore <zone>              bring a zone back now
  fault db-kill-primary                  SIGKILL the database primary (a crashed host): failover
  fault db-hang-primary [--seconds N]    SIGSTOP the primary (a hung host); SIGCONT after N s, if alive
  fault db-kill-standby                  SIGKILL a synchronous standby
  fault storage-kill-node [zone]         SIGKILL a storage node (restarted after 1 s, then repaired)
  db failover                            RDS "reboot with failover": the standby takes over
  db snapshot [--name N]                 take a manual snapshot now
  db snapshots                           list snapshots and the restorable time window
  db restore --to-time T [--as NAME]     point-in-time restore into a new database node
  storage repair                         run an anti-entropy repair pass now and print what it copied
  scale --desired N                      set the Auto Scaling group's desired capacity
  validate [--config F] [--json]         check a config: prints ok or every problem (exit 1); unless
     [--target twin|aws|all]             --target twin, also AWS's rules ("aws:" lines, exit 1) and
                                         warnings on stderr (single points of failure; exit 0)

AWS (docs/aws.md):
  synth [--out DIR] [--skip-build]       the CloudFormation templates, offline (no credentials); cdk-nag
                                         AwsSolutions must be clean; writes the NIST 800-53 R5 report
                                         (default DIR: cdk.out beside the config)
  diff                                   what deploy would change in your account
  deploy                                 deploy the network, data, app and monitoring stacks
  destroy --yes [--all]                  delete the app and monitoring stacks (--all: every stack;
                                         lift aws.deletionProtection first)

Common options:
  --config F   the stack config (default: hastack.config.ts in the current folder)
  --json       machine-readable output on stdout
  -h, --help   this text

Exit codes: 0 ok, 1 user error, 2 internal error. State lives in .hastack/ next to the config.
Docs: docs/ in the hastack package (README.md links them).`;
