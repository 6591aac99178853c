import { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { composeHaWebApp, type ComposeOptions, type HaParts } from './compose.ts';

export type HaWebAppProps = ComposeOptions;

/**
 * The whole architecture of a spec inside one scope, for use in any CDK app:
 * `new HaWebApp(stack, 'App', spec)`. The stack must name its region (the spec's), so the zones
 * are concrete. The CLI's app splits the same parts over four stacks instead (see stacks.ts).
 */
export class HaWebApp extends Construct {
  readonly parts: HaParts;

  constructor(scope: Construct, id: string, spec: ResolvedSpec, props: HaWebAppProps = {}) {
    super(scope, id);
    this.parts = composeHaWebApp({ network: this, data: this, app: this, monitoring: this }, spec, props);
  }
}
