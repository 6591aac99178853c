/**
 * The launch lifecycle hook that holds a new instance in Pending:Wait until its app answers the
 * load balancer's health check on the instance itself, and the boot-script lines that complete it.
 *
 * Why: installing Node.js and the app's dependencies takes minutes, longer than the health-check
 * grace period, so without the hook the group would replace instances before their app is up.
 * Amazon EC2 Auto Scaling starts the grace period (and an instance refresh its warmup) only once
 * the hook is complete and the instance InService, so spec.autoScaling.healthCheckGracePeriod keeps
 * its meaning: the time from a running app to a load balancer that must find it healthy.
 *
 * The hook is part of the group (LifecycleHookSpecificationList), so the group's first instances
 * wait as well; a separate AWS::AutoScaling::LifecycleHook would only exist after them. The boot
 * script reads the group's name from the instance's `aws:autoscaling:groupName` tag (instance
 * metadata tags): passing the name into the user data would make the group depend on itself.
 * Pure.
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/completing-lifecycle-hooks.html
 */
import type { CfnAutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { HastackError } from '../../errors.ts';
import { shellQuote } from './shell.ts';
import { parseSuccessCodes } from '../../spec/success-codes.ts';

/** The hook's name: fixed, so the boot script knows it without a reference to the group. */
export const LAUNCH_HOOK_NAME = 'hastack-app-ready';
/**
 * Seconds a launching instance may stay in Pending:Wait before the group abandons it (terminates
 * it and launches another). Covers a slow boot (package installs with retries, npm ci) with room
 * to spare; a healthy boot completes the hook after about two minutes.
 */
export const LAUNCH_HOOK_TIMEOUT_SECONDS = 900;
/**
 * Seconds of the hook's timeout the boot script keeps for itself: the script starts a little after
 * the launch, and completing the hook may need retries. It stops waiting for the app this long
 * before the hook would time out, so its ABANDON (or CONTINUE) still counts.
 */
export const LAUNCH_HOOK_MARGIN_SECONDS = 120;
/** Seconds between two probes of the app while the boot script waits for it. */
export const LAUNCH_PROBE_PAUSE_SECONDS = 2;

/** The hook as the group's LifecycleHookSpecificationList entry: abandon unless the boot completes it. */
export function launchHookSpecification(): CfnAutoScalingGroup.LifecycleHookSpecificationProperty {
  return {
    lifecycleHookName: LAUNCH_HOOK_NAME,
    lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
    heartbeatTimeout: LAUNCH_HOOK_TIMEOUT_SECONDS,
    defaultResult: 'ABANDON',
  };
}

/**
 * A bash arithmetic test (for `(( … ))`) that holds when `$code` is one of `successCodes`
 * (`200`, `200,202`, `200-299`: the load balancer's matcher, checked by the spec's schema).
 */
export function successCodeTest(successCodes: string, variable = 'code'): string {
  const parsed = parseSuccessCodes(successCodes);
  if (!parsed.ok) throw new HastackError('HASTACK_INTERNAL', 'internal', `launch hook: loadBalancer.healthCheck.successCodes ${JSON.stringify(successCodes)}: ${parsed.problem}; the spec should have refused it`);
  return parsed.ranges.map(({ lo, hi }) => (lo === hi ? `${variable} == ${lo}` : `(${variable} >= ${lo} && ${variable} <= ${hi})`)).join(' || ');
}

export interface LaunchGateInput {
  readonly region: string;
  /** The app's port on the instance (spec.app.port). */
  readonly port: number;
  /** The load balancer's health-check path (spec.loadBalancer.healthCheck.path). */
  readonly path: string;
  /** The load balancer's success codes (spec.loadBalancer.healthCheck.successCodes). */
  readonly successCodes: string;
  /** Seconds one probe may take (spec.loadBalancer.healthCheck.timeout). */
  readonly probeTimeoutSeconds: number;
}

/** The boot-script parts of the gate: `setup` goes near the top (after `retry`), `wait` at the end. */
export interface LaunchGate {
  readonly setup: readonly string[];
  readonly wait: readonly string[];
}

/**
 * The boot script's side of the hook. `setup` completes the hook whenever the script exits: with
 * ABANDON unless `wait` saw the app answer, so a failed step never leaves the instance waiting for
 * the timeout. `wait` probes the app on localhost until it answers with a success code or the
 * hook's time (less the margin) is nearly spent.
 */
export function launchGate(i: LaunchGateInput): LaunchGate {
  const url = `http://127.0.0.1:${i.port}${i.path}`;
  const deadline = LAUNCH_HOOK_TIMEOUT_SECONDS - LAUNCH_HOOK_MARGIN_SECONDS;
  const setup = [
    `# The launch hook ${LAUNCH_HOOK_NAME} holds this instance out of service until the app answers its`,
    '# health check; whenever this script ends it completes the hook, with ABANDON unless the app',
    '# answered, so the group replaces an instance that cannot boot without waiting for the timeout.',
    'launch_result=ABANDON',
    'imds() {',
    '  local token',
    "  token=$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) &&",
    '    curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"',
    '}',
    'complete_launch() {',
    '  local instance group',
    '  instance=$(retry imds instance-id) || return 1',
    '  # The group names itself in this tag (instance metadata tags are on in the launch template).',
    '  group=$(retry imds tags/instance/aws:autoscaling:groupName) || return 1',
    `  echo "hastack: completing launch hook ${LAUNCH_HOOK_NAME} of $group for $instance with $launch_result"`,
    `  retry aws autoscaling complete-lifecycle-action --region ${shellQuote(i.region)} --lifecycle-hook-name ${LAUNCH_HOOK_NAME} \\`,
    '    --auto-scaling-group-name "$group" --instance-id "$instance" --lifecycle-action-result "$launch_result"',
    '}',
    `trap 'complete_launch || echo "hastack: could not complete the launch hook; it ends as ABANDON after ${LAUNCH_HOOK_TIMEOUT_SECONDS} s" >&2' EXIT`,
  ];
  const wait = [
    '# In service only once the app answers its health check as the load balancer asks it.',
    `app_url=${shellQuote(url)}`,
    'app_ready() {',
    '  local code',
    `  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time ${i.probeTimeoutSeconds} "$app_url") || return 1`,
    `  (( ${successCodeTest(i.successCodes)} ))`,
    '}',
    `while (( SECONDS < ${deadline} )); do`,
    '  if app_ready; then',
    '    launch_result=CONTINUE',
    '    break',
    '  fi',
    `  sleep ${LAUNCH_PROBE_PAUSE_SECONDS}`,
    'done',
    'if [[ $launch_result != CONTINUE ]]; then',
    `  echo "hastack: the app did not answer $app_url with ${i.successCodes} within ${deadline} s of boot; abandoning this instance" >&2`,
    '  exit 1',
    'fi',
    'echo "hastack: the app answers $app_url after $SECONDS s"',
  ];
  return { setup, wait };
}
