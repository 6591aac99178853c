/**
 * What cdk-nag found and what the constructs acknowledged, as data for the files written next to
 * the templates. Pure apart from reading the construct tree it is given.
 */
import { Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A rule a construct acknowledged, and why. */
export interface Acknowledged {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

/** One finding of a pack: a rule broken by a resource. */
export interface Finding {
  readonly rule: string;
  readonly description: string;
  readonly path: string;
}

/** Every acknowledgment recorded in the tree under `root`, in tree order. */
export function acknowledgments(root: IConstruct): Acknowledged[] {
  const out: Acknowledged[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // Recorded as { '<plugin>::<rule id>': reason }.
      for (const [key, reason] of Object.entries((entry.data ?? {}) as Record<string, unknown>)) {
        out.push({ path: c.node.path, rule: key.slice(key.indexOf('::') + 2), reason: String(reason) });
      }
    }
  }
  return out;
}

/** A pack's report as one finding per rule and resource. */
export function findings(report: PolicyValidationPluginReport): Finding[] {
  return report.violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, description: v.description, path: r.constructPath ?? r.resourceLogicalId ?? '(unknown)' })));
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Findings as CSV (rule, resource, description), for a spreadsheet. */
export function findingsCsv(list: readonly Finding[]): string {
  return ['rule,resource,description', ...list.map((f) => [f.rule, f.path, f.description].map(csvCell).join(','))].join('\n') + '\n';
}
