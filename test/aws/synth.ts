/**
 * Test helpers for the AWS target: a spec from a config object, the four stacks built from it, a
 * Template per stack, and the cdk-nag findings that nobody acknowledged.
 */
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { resolveSpec } from '../../src/spec/index.ts';
import type { ResolvedSpec, StackConfig } from '../../src/spec/types.ts';
import { buildHaApp, type HaApp, type HaStacks } from '../../src/aws/stacks.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The guestbook's folder: a real app to bundle. */
export const GUESTBOOK_DIR = path.resolve(here, '../../examples/guestbook');

/** A config like the guestbook's, with `overrides` merged over it (one level deep per section). */
export function exampleConfig(overrides: Partial<Record<keyof StackConfig, unknown>> = {}): StackConfig {
  const base: Record<string, unknown> = {
    name: 'guestbook',
    app: { start: { command: 'node', args: ['--import', 'tsx', 'src/server.ts'], cwd: GUESTBOOK_DIR }, port: 8080 },
    storage: { buckets: [{ name: 'guestbook-attachments' }] },
  };
  for (const [k, v] of Object.entries(overrides)) {
    const old = base[k];
    base[k] = old !== null && typeof old === 'object' && !Array.isArray(old) && v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...old, ...v } : v;
  }
  return base as unknown as StackConfig;
}

export function exampleSpec(overrides: Partial<Record<keyof StackConfig, unknown>> = {}): ResolvedSpec {
  return resolveSpec(exampleConfig(overrides), { configDir: GUESTBOOK_DIR });
}

export interface Synthesized extends HaApp {
  readonly spec: ResolvedSpec;
  readonly templates: Readonly<Record<keyof HaStacks, Template>>;
}

/** Builds the four stacks of a spec (account 123456789012) and a Template of each. */
export function synth(spec: ResolvedSpec = exampleSpec()): Synthesized {
  const built = buildHaApp(spec, { account: '123456789012' });
  const t = (s: keyof HaStacks): Template => Template.fromStack(built.stacks[s]);
  return { ...built, spec, templates: { network: t('network'), data: t('data'), app: t('app'), monitoring: t('monitoring') } };
}

/** Unacknowledged AwsSolutions findings in a CDK app as `rule at construct path` lines (empty when clean). */
export function appFindings(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

/** Unacknowledged AwsSolutions findings of the four stacks (empty when clean). */
export function nagFindings(h: HaApp): string[] {
  return appFindings(h.app);
}
