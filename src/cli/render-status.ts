import type { TwinStatus } from '../twin/status.ts';

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}

/** One screen of status, for `hastack status` and the live view of `hastack up`. */
export function renderStatus(s: TwinStatus): string[] {
  const lines: string[] = [];
  const inService = s.zones.flatMap((z) => z.instances).filter((i) => i.lifecycle === 'InService').length;
  lines.push(`${s.name} in ${s.region}   ${s.endpoint}${s.httpsEndpoint ? `   ${s.httpsEndpoint}` : ''}   up ${ago(s.now - s.startedAt)}`);
  lines.push(`capacity: min ${s.capacity.min} / desired ${s.capacity.desired} / max ${s.capacity.max}   InService ${inService}   ${s.asgSummary}`);
  lines.push('');
  const rows: string[][] = [['ZONE', 'INSTANCE', 'LIFECYCLE', 'HEALTH', 'TARGET', 'PID', 'PORT', 'UPTIME']];
  for (const z of s.zones) {
    if (z.instances.length === 0) rows.push([`${z.name}${z.available ? '' : ' (OUT)'}`, '-', '', '', '', '', '', '']);
    for (const i of z.instances) {
      rows.push([
        `${z.name}${z.available ? '' : ' (OUT)'}`,
        i.id,
        i.lifecycle,
        i.healthStatus + (i.paused ? ' (paused)' : ''),
        i.target ?? '-',
        String(i.pid ?? '-'),
        String(i.port),
        ago(s.now - i.launchedAt),
      ]);
    }
  }
  lines.push(...table(rows));
  if (s.database) {
    lines.push('');
    lines.push(`database: PostgreSQL ${s.database.version} (${s.database.binaries})   endpoint ${s.database.endpoint}`);
    for (const n of s.database.nodes) lines.push(`  ${n.name}  ${n.zone}  ${n.role}  ${n.state}`);
  }
  if (s.activities.length > 0) {
    lines.push('');
    lines.push('recent scaling activities:');
    for (const a of s.activities.slice(0, 6)) lines.push(`  ${new Date(a.startTime).toISOString().slice(11, 19)}  ${a.description}: ${a.cause}`);
  }
  return lines;
}
