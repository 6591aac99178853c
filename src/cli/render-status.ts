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
    const d = s.database;
    lines.push(`database: PostgreSQL ${d.version} (${d.binaries}), ${d.deployment}${d.strictSync ? ', strict sync' : ''}`);
    lines.push(`  writer endpoint ${d.endpoint} → ${d.writerTarget ?? 'nothing (failover in progress)'}`);
    if (d.readerEndpoint !== undefined) lines.push(`  reader endpoint ${d.readerEndpoint} → ${d.readerTargets.join(', ') || 'nothing'}`);
    if (d.commitsRefused) lines.push('  commits refused: no synchronous standby (strict mode)');
    if (d.waiting !== undefined) lines.push(`  waiting: ${d.waiting}`);
    if (d.lastFailover !== undefined) {
      lines.push(`  last failover ${new Date(d.lastFailover.at).toISOString().slice(11, 19)}: ${d.lastFailover.from} → ${d.lastFailover.to} in ${d.lastFailover.ms} ms${d.lastFailover.planned ? ' (planned)' : ''}`);
    }
    const dbRows = [['NODE', 'ZONE', 'ROLE', 'STATE', 'SYNC', 'LAG']];
    for (const n of d.nodes) {
      const lag = n.lagBytes === undefined ? '-' : `${n.lagBytes} B${n.lagSeconds === undefined ? '' : ` / ${n.lagSeconds.toFixed(3)} s`}`;
      dbRows.push([n.name, n.zone, n.role, n.state, n.sync ?? '-', lag]);
    }
    lines.push(...table(dbRows).map((l) => `  ${l}`));
  }
  if (s.storage) {
    const st = s.storage;
    lines.push('');
    const under = st.underReplicated === undefined ? 'not yet counted' : String(st.underReplicated);
    lines.push(`storage: S3 endpoint ${st.endpoint}, ${st.replicas} replicas, write quorum ${st.writeQuorum}; objects under-replicated: ${under}`);
    lines.push(`  buckets: ${st.buckets.join(', ') || 'none'}`);
    const rows = [['ZONE', 'STATE', 'PID', 'PORT', 'RECORDS', 'BYTES', 'QUARANTINED']];
    for (const n of st.nodes) rows.push([n.zone, n.state, String(n.pid ?? '-'), String(n.port), String(n.records ?? '-'), String(n.bytes ?? '-'), String(n.quarantined ?? '-')]);
    lines.push(...table(rows).map((l) => `  ${l}`));
  }
  if (s.alarms.length > 0) {
    lines.push('');
    const firing = s.alarms.filter((a) => a.state === 'ALARM');
    const counts = (['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const).map((st) => `${s.alarms.filter((a) => a.state === st).length} ${st}`).join(', ');
    lines.push(`alarms: ${counts}`);
    for (const a of firing) lines.push(`  ALARM  ${a.name} since ${new Date(a.since).toISOString().slice(11, 19)}: ${a.reason}`);
  }
  if (s.activities.length > 0) {
    lines.push('');
    lines.push('recent scaling activities:');
    for (const a of s.activities.slice(0, 6)) lines.push(`  ${new Date(a.startTime).toISOString().slice(11, 19)}  ${a.description}: ${a.cause}`);
  }
  return lines;
}
