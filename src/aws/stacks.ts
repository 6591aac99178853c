import { App, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { composeHaWebApp, type ComposeOptions, type HaParts } from './compose.ts';

/** The CLI's stacks, in deployment order; data outlives compute because they are separate stacks. */
export interface HaStacks {
  readonly network: Stack;
  readonly data: Stack;
  readonly app: Stack;
  readonly monitoring: Stack;
}

export interface BuildHaAppOptions extends ComposeOptions {
  /** Where the cloud assembly is written. @default - a temp folder chosen by the CDK */
  readonly outdir?: string;
  /** The account to deploy to when the spec names none. @default - CDK_DEFAULT_ACCOUNT, else unresolved */
  readonly account?: string;
}

export interface HaApp {
  readonly app: App;
  readonly stacks: HaStacks;
  readonly parts: HaParts;
}

/**
 * A stack whose zones are the spec's. Without this, naming zones on the VPC makes the CDK check them
 * against the account's zones, a context lookup at deploy time that needs credentials to answer.
 */
class SpecStack extends Stack {
  readonly #zones: readonly string[];

  constructor(scope: Construct, id: string, props: StackProps, zones: readonly string[]) {
    super(scope, id, props);
    this.#zones = zones;
  }

  override get availabilityZones(): string[] {
    return [...this.#zones];
  }
}

/** Stack names: `<spec.name>-network`, `-data`, `-app`, `-monitoring`. */
export function stackNames(spec: ResolvedSpec): Readonly<Record<keyof HaStacks, string>> {
  return { network: `${spec.name}-network`, data: `${spec.name}-data`, app: `${spec.name}-app`, monitoring: `${spec.name}-monitoring` };
}

/**
 * A CDK app of one spec over four stacks. Nothing here needs credentials: the region and zones
 * come from the spec, the account from the spec or the environment (left unresolved otherwise).
 */
export function buildHaApp(spec: ResolvedSpec, options: BuildHaAppOptions = {}): HaApp {
  const app = new App({ ...(options.outdir === undefined ? {} : { outdir: options.outdir }) });
  const account = spec.aws.account ?? options.account ?? process.env['CDK_DEFAULT_ACCOUNT'];
  const names = stackNames(spec);
  const props = (description: string, extra: Partial<StackProps> = {}): StackProps => ({
    env: { region: spec.region, ...(account === undefined ? {} : { account }) },
    description: `${spec.name}: ${description} (hastack)`,
    tags: { 'hastack:stack': spec.name },
    ...extra,
  });
  const stacks: HaStacks = {
    network: new SpecStack(app, names.network, props('VPC over the zones, NAT gateways, flow logs, security groups'), spec.zones),
    data: new SpecStack(app, names.data, props('database, buckets, alarm topic; kept when the app stack goes', { terminationProtection: spec.aws.deletionProtection }), spec.zones),
    app: new SpecStack(app, names.app, props('load balancer, Auto Scaling group, DNS'), spec.zones),
    monitoring: new SpecStack(app, names.monitoring, props('alarms, dashboard, Fault Injection Service experiments'), spec.zones),
  };
  const parts = composeHaWebApp(stacks, spec, options);
  return { app, stacks, parts };
}
