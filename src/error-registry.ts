import { AWS_ERRORS } from './aws/errors.ts';
import type { ErrorDefinition } from './errors.ts';
import { RESILIENCE_ERRORS } from './resilience/errors.ts';
import { SPEC_ERRORS } from './spec/errors.ts';
import { ASG_ERRORS } from './twin/compute/errors.ts';
import { TWIN_ERRORS } from './twin/control/errors.ts';
import { RDS_ERRORS } from './twin/database/errors.ts';
import { DB_ERRORS } from './twin/db/errors.ts';
import { DB_ENDPOINT_ERRORS } from './twin/db/endpoint-errors.ts';
import { LB_ERRORS } from './twin/lb/errors.ts';
import { METRICS_ERRORS } from './twin/monitor/errors.ts';
import { STORAGE_ERRORS } from './twin/storage/errors.ts';

export const CORE_ERRORS = {
  HASTACK_INTERNAL: {
    source: 'internal',
    summary: 'An unexpected failure inside hastack; the message carries the cause. Please report it with the event log (`hastack logs`).',
  },
} as const satisfies Record<string, ErrorDefinition>;

/** Every error code, by area, in the order docs/errors.md lists them. */
export const ERROR_AREAS: readonly { readonly area: string; readonly errors: Readonly<Record<string, ErrorDefinition>> }[] = [
  { area: 'General', errors: CORE_ERRORS },
  { area: 'Spec', errors: SPEC_ERRORS },
  { area: 'Twin and control API', errors: TWIN_ERRORS },
  { area: 'Auto Scaling group', errors: ASG_ERRORS },
  { area: 'Load balancer', errors: LB_ERRORS },
  { area: 'Database nodes', errors: DB_ERRORS },
  { area: 'Database endpoint', errors: DB_ENDPOINT_ERRORS },
  { area: 'Database cluster (RDS)', errors: RDS_ERRORS },
  { area: 'Object storage nodes', errors: STORAGE_ERRORS },
  { area: 'Metrics and alarms', errors: METRICS_ERRORS },
  { area: 'Load generation', errors: RESILIENCE_ERRORS },
  { area: 'AWS deployment', errors: AWS_ERRORS },
];

/** docs/errors.md, generated from the registries (`npm run docs:errors`). */
export function renderErrorsDoc(): string {
  const lines = [
    '# Errors',
    '',
    'Every error hastack raises has a stable `code` (branch on it, never on the message), a `source`',
    '(`user`: fix the input, the CLI exits 1; `internal`: hastack failed, the CLI exits 2) and, when',
    'another error led to it, a `cause`. This page is generated from the registries in the code',
    '(`npm run docs:errors`); a test fails when they disagree.',
    '',
  ];
  for (const { area, errors } of ERROR_AREAS) {
    lines.push(`## ${area}`, '', '| code | source | when, and what to do |', '|---|---|---|');
    for (const [code, def] of Object.entries(errors)) lines.push(`| \`${code}\` | ${def.source} | ${def.summary.replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
