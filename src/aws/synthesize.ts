/**
 * `hastack synth` as a library call: check the spec for AWS, run the app's build step, build the
 * four stacks, synthesize them with cdk-nag's AwsSolutions pack as a validation plugin (any
 * unacknowledged finding stops synthesis), and write next to the templates the acknowledgments
 * with their reasons and a report of the NIST 800-53 R5 pack. Offline: no credentials, no lookups.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { awsWarnings, checkAwsSpec } from '../spec/aws.ts';
import { localExecutable } from '../util/local-executable.ts';
import { formatProblem, type SpecProblem } from '../spec/resolve.ts';
import type { ResolvedSpec } from '../spec/types.ts';
import { awsError } from './errors.ts';
import { acknowledgments, findings, findingsCsv, type Acknowledged, type Finding } from './nag-report.ts';
import { buildHaApp, type HaStacks } from './stacks.ts';

export interface SynthesizeOptions {
  /** The cloud assembly folder (created if missing). */
  readonly outdir: string;
  /** Run spec.app.build before bundling. @default true */
  readonly build?: boolean;
  /** The account when the spec names none. @default - CDK_DEFAULT_ACCOUNT, else unresolved */
  readonly account?: string;
  /** Progress, for a host that shows it (the CLI writes it to stderr). */
  readonly onProgress?: (line: string) => void;
}

export interface SynthesizedStack {
  readonly id: keyof HaStacks;
  readonly name: string;
  /** Absolute path of the template. */
  readonly templateFile: string;
  readonly resourceCount: number;
}

export interface SynthesisResult {
  readonly outdir: string;
  readonly stacks: readonly SynthesizedStack[];
  /** Choices AWS accepts that weaken availability (single NAT, one instance, HTTP only …). */
  readonly warnings: readonly SpecProblem[];
  /** Every acknowledged AwsSolutions finding with its reason. */
  readonly acknowledged: readonly Acknowledged[];
  /** The NIST 800-53 R5 pack's findings (a report; they do not stop synthesis). */
  readonly nist: readonly Finding[];
  /** Files written next to the templates. */
  readonly reports: { readonly acknowledgments: string; readonly nistJson: string; readonly nistCsv: string };
  readonly durationMs: number;
}

/** Runs the app's build step in its folder; its output is kept for the error, never printed. */
async function runBuild(spec: ResolvedSpec): Promise<void> {
  const b = spec.app.build;
  if (b === undefined) return;
  const output: Buffer[] = [];
  const code = await new Promise<number | string>((resolve) => {
    const child = spawn(localExecutable(b.command), [...b.args], { cwd: b.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.on('error', (e) => resolve(e.message));
    child.on('exit', (c, sig) => resolve(c ?? String(sig)));
  });
  if (code !== 0) {
    const tail = Buffer.concat(output).toString('utf8').split('\n').slice(-20).join('\n');
    throw awsError('HASTACK_AWS_BUNDLE_FAILED', `app.build (${[b.command, ...b.args].join(' ')} in ${b.cwd}) failed: ${code}${tail === '' ? '' : `\n${tail}`}`);
  }
}

/** Synthesizes a spec for AWS into `options.outdir`; throws coded errors, never prints. */
export async function synthesize(spec: ResolvedSpec, options: SynthesizeOptions): Promise<SynthesisResult> {
  const started = Date.now();
  const say = options.onProgress ?? (() => undefined);
  const problems = checkAwsSpec(spec);
  if (problems.length > 0) {
    throw awsError('HASTACK_AWS_SPEC_INVALID', `the spec cannot be deployed to AWS:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, {
      details: { problems },
    });
  }
  const appPath = spec.app.start.cwd;
  if (!existsSync(appPath)) throw awsError('HASTACK_AWS_BUNDLE_FAILED', `app.start.cwd: the app folder ${appPath} does not exist; expected the folder to bundle`);
  if (options.build !== false && spec.app.build !== undefined) {
    say(`building the app: ${[spec.app.build.command, ...spec.app.build.args].join(' ')}`);
    await runBuild(spec);
  }

  mkdirSync(options.outdir, { recursive: true });
  say('synthesizing the network, data, app and monitoring stacks');
  const built = buildHaApp(spec, { outdir: options.outdir, ...(options.account === undefined ? {} : { account: options.account }) });
  Validations.of(built.app).addPlugins(new AwsSolutionsChecks(built.app));
  let assembly;
  try {
    assembly = built.app.synth();
  } catch (e) {
    const reportFile = path.join(options.outdir, 'validation-report.json');
    if (!existsSync(reportFile)) throw e;
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports?: { violations?: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[] }[] };
    const lines = (report.pluginReports ?? []).flatMap((p) => (p.violations ?? []).flatMap((v) => (v.violatingConstructs ?? []).map((c) => `  ${v.ruleName} at ${c.constructPath}`)));
    throw awsError('HASTACK_AWS_NAG_FINDINGS', `cdk-nag AwsSolutions found ${lines.length} unacknowledged finding${lines.length === 1 ? '' : 's'} (report: ${reportFile}):\n${lines.join('\n')}`, {
      cause: e,
      details: { report: reportFile },
    });
  }

  say('checking with the NIST 800-53 R5 pack (report only)');
  const nist = findings(new NIST80053R5Checks(built.app).validateScope(built.app));
  const acknowledged = acknowledgments(built.app);
  const reports = {
    acknowledgments: path.join(options.outdir, 'aws-solutions-acknowledgments.json'),
    nistJson: path.join(options.outdir, 'nist-800-53-r5-report.json'),
    nistCsv: path.join(options.outdir, 'nist-800-53-r5-report.csv'),
  };
  writeFileSync(reports.acknowledgments, `${JSON.stringify(acknowledged, null, 2)}\n`);
  writeFileSync(reports.nistJson, `${JSON.stringify(nist, null, 2)}\n`);
  writeFileSync(reports.nistCsv, findingsCsv(nist));

  const stacks = (Object.entries(built.stacks) as [keyof HaStacks, HaStacks[keyof HaStacks]][]).map(([id, stack]) => {
    const artifact = assembly.getStackArtifact(stack.artifactId);
    const template = artifact.template as { Resources?: Record<string, unknown> };
    return { id, name: stack.stackName, templateFile: artifact.templateFullPath, resourceCount: Object.keys(template.Resources ?? {}).length };
  });
  return { outdir: options.outdir, stacks, warnings: awsWarnings(spec), acknowledged, nist, reports, durationMs: Date.now() - started };
}
