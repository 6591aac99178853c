/**
 * diff, deploy and destroy through the CDK's programmatic toolkit, on a cloud assembly that
 * `synthesize` wrote. The toolkit's messages reach the host as events (the CLI prints them to
 * stderr); its failures become coded errors: no credentials, no bootstrap, anything else with
 * CloudFormation's reason.
 */
import { StackSelectionStrategy, Toolkit, ToolkitError, type IIoHost, type IoMessage, type IoRequest } from '@aws-cdk/toolkit-lib';
import type { ResolvedSpec } from '../spec/types.ts';
import { awsError } from './errors.ts';
import { stackNames } from './stacks.ts';

export type ToolkitAction = 'diff' | 'deploy' | 'destroy';

/** One line of the toolkit's progress. */
export interface ToolkitMessage {
  readonly level: 'error' | 'result' | 'warn' | 'info';
  readonly message: string;
  readonly code: string | undefined;
}

export interface ToolkitRunOptions {
  readonly spec: ResolvedSpec;
  /** The cloud assembly folder `synthesize` wrote. */
  readonly assemblyDir: string;
  readonly onMessage?: (m: ToolkitMessage) => void;
  /** destroy: also the data and network stacks (otherwise only app and monitoring go). */
  readonly all?: boolean;
  /** Answer yes to the toolkit's questions (security changes, destroy confirmation). */
  readonly yes?: boolean;
}

/** Forwards the toolkit's messages (debug and trace dropped) and answers its questions. */
export class EventIoHost implements IIoHost {
  constructor(
    private readonly onMessage: (m: ToolkitMessage) => void,
    private readonly yes: boolean,
  ) {}

  async notify(msg: IoMessage<unknown>): Promise<void> {
    if (msg.level === 'debug' || msg.level === 'trace') return;
    this.onMessage({ level: msg.level, message: msg.message, code: msg.code });
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    await this.notify(msg);
    if (this.yes && typeof msg.defaultResponse === 'boolean') return true as T;
    return msg.defaultResponse;
  }
}

/** Which stacks an action touches, in the order the toolkit should see them. */
export function selectedStacks(spec: ResolvedSpec, action: ToolkitAction, all: boolean): string[] {
  const n = stackNames(spec);
  if (action === 'destroy' && !all) return [n.monitoring, n.app];
  return [n.network, n.data, n.app, n.monitoring];
}

const BOOTSTRAP_HINTS = [/bootstrap/i, /\/cdk-bootstrap\//, /CDKToolkit/];

/** Turns a toolkit failure into a coded error a user can act on. */
export function toolkitFailure(e: unknown, spec: ResolvedSpec, action: ToolkitAction): Error {
  const message = e instanceof Error ? e.message : String(e);
  if (ToolkitError.isAuthenticationError(e) || /Could not load credentials|Unable to resolve AWS account|no credentials/i.test(message)) {
    return awsError('HASTACK_AWS_NO_CREDENTIALS', `${action}: no AWS credentials were found (${message}); configure a profile (\`aws configure\`, AWS_PROFILE) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`, { cause: e });
  }
  if (ToolkitError.isBootstrapError(e) || BOOTSTRAP_HINTS.some((r) => r.test(message))) {
    return awsError('HASTACK_AWS_NOT_BOOTSTRAPPED', `${action}: ${spec.region} is not bootstrapped for the CDK in this account (${message}); run \`npx cdk bootstrap aws://<account>/${spec.region}\` once`, { cause: e });
  }
  return awsError('HASTACK_AWS_TOOLKIT_FAILED', `${action} failed: ${message}`, { cause: e });
}

/** Runs one toolkit action over the spec's stacks. */
export async function runToolkit(action: ToolkitAction, o: ToolkitRunOptions): Promise<void> {
  const toolkit = new Toolkit({ ioHost: new EventIoHost(o.onMessage ?? (() => undefined), o.yes === true), color: false, emojis: false });
  const stacks = { strategy: StackSelectionStrategy.PATTERN_MUST_MATCH, patterns: selectedStacks(o.spec, action, o.all === true) };
  try {
    const cx = await toolkit.fromAssemblyDirectory(o.assemblyDir);
    if (action === 'diff') await toolkit.diff(cx, { stacks });
    else if (action === 'deploy') await toolkit.deploy(cx, { stacks });
    else await toolkit.destroy(cx, { stacks });
  } catch (e) {
    throw toolkitFailure(e, o.spec, action);
  }
}
