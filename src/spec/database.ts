/**
 * The database section's defaults and cross-field rules, and the twin's database probe settings.
 * Pure: parsed config in, resolved values or problems out. Where a rule is RDS's, it is stated as
 * RDS states it, so a config the twin accepts is one RDS accepts too.
 */
import { wordList } from '../util/word-list.ts';
import type { SpecProblem } from './resolve.ts';
import { describeValue, type ParsedStackConfig } from './schema.ts';
import type { DatabaseDeployment, ResolvedDatabase, ResolvedSpec } from './types.ts';

/** Instance class families a Multi-AZ DB cluster runs on (RDS refuses the others). */
export const CLUSTER_INSTANCE_FAMILIES: readonly string[] = ['m5d', 'm6gd', 'm6id', 'r5d', 'r6gd', 'r6id', 'x2iedn'];

/** Least allocated storage of a Multi-AZ DB cluster (its Provisioned IOPS storage), GiB. */
export const CLUSTER_MIN_STORAGE_GIB = 100;

/** Zones a Multi-AZ DB cluster needs: a writer and two readers, each in its own zone. */
export const CLUSTER_MIN_ZONES = 3;

/** Shortest automated backup window RDS accepts, minutes. */
export const MIN_BACKUP_WINDOW_MINUTES = 30;

/** Longest a hung node may go unnoticed: RDS's slowest documented Multi-AZ failover, milliseconds. */
export const MAX_DETECTION_MS = 120_000;

const WHY_NETWORK = 'hastack decides where each node listens and where the endpoint leads';
const WHY_FILES = 'hastack places each node\'s files itself';
const WHY_TLS = 'the server certificate is the service\'s (RDS provides it)';
const WHY_REPLICATION = 'hastack runs streaming replication and failover with it';
const WHY_ARCHIVE = 'hastack archives WAL for automated backups and point-in-time restore with it';
const WHY_RECOVERY = 'hastack sets it when it builds a standby or restores to a point in time';
const WHY_LOGS = 'hastack collects each node\'s server log itself';

/**
 * Server parameters hastack (and RDS) manage themselves, with the reason given to a user who sets
 * one. Setting them would break the endpoint, replication, failover or backups.
 */
export const MANAGED_PARAMETERS: Readonly<Record<string, string>> = {
  listen_addresses: WHY_NETWORK,
  port: WHY_NETWORK,
  unix_socket_directories: WHY_NETWORK,
  unix_socket_group: WHY_NETWORK,
  unix_socket_permissions: WHY_NETWORK,
  data_directory: WHY_FILES,
  config_file: WHY_FILES,
  hba_file: WHY_FILES,
  ident_file: WHY_FILES,
  external_pid_file: WHY_FILES,
  ssl_cert_file: WHY_TLS,
  ssl_key_file: WHY_TLS,
  ssl_ca_file: WHY_TLS,
  ssl_crl_file: WHY_TLS,
  wal_level: WHY_REPLICATION,
  hot_standby: WHY_REPLICATION,
  primary_conninfo: WHY_REPLICATION,
  primary_slot_name: WHY_REPLICATION,
  synchronous_standby_names: WHY_REPLICATION,
  promote_trigger_file: WHY_REPLICATION,
  recovery_min_apply_delay: WHY_REPLICATION,
  archive_mode: WHY_ARCHIVE,
  archive_command: WHY_ARCHIVE,
  archive_library: WHY_ARCHIVE,
  restore_command: WHY_RECOVERY,
  archive_cleanup_command: WHY_RECOVERY,
  recovery_end_command: WHY_RECOVERY,
  recovery_target: WHY_RECOVERY,
  recovery_target_action: WHY_RECOVERY,
  recovery_target_inclusive: WHY_RECOVERY,
  recovery_target_lsn: WHY_RECOVERY,
  recovery_target_name: WHY_RECOVERY,
  recovery_target_time: WHY_RECOVERY,
  recovery_target_timeline: WHY_RECOVERY,
  recovery_target_xid: WHY_RECOVERY,
  logging_collector: WHY_LOGS,
  log_directory: WHY_LOGS,
};

/** Minutes from midnight of each end of an `hh:mm-hh:mm` window, or undefined when malformed. */
export function parseWindowMinutes(window: string): { start: number; end: number } | undefined {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(window);
  if (m === null) return undefined;
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return undefined;
  return { start: h1 * 60 + m1, end: h2 * 60 + m2 };
}

/** Length of a window in minutes; an end at or before the start is on the next day (0 when equal). */
export function windowLengthMinutes(w: { start: number; end: number }): number {
  return (w.end - w.start + 1440) % 1440;
}

function stringifyParameter(v: string | number | boolean): string {
  return v === true ? 'on' : v === false ? 'off' : String(v);
}

/** Defaults for the database section; a config without one gets all of them. */
export function resolveDatabase(c: ParsedStackConfig['database']): ResolvedDatabase {
  const deployment: DatabaseDeployment = c?.deployment ?? 'multi-az-instance';
  const cluster = deployment === 'multi-az-cluster';
  const parameters = Object.fromEntries(Object.entries(c?.parameters ?? {}).map(([k, v]) => [k, stringifyParameter(v)]));
  return {
    engine: 'postgres',
    version: c?.version ?? '16',
    deployment,
    backupRetentionDays: c?.backupRetentionDays ?? 7,
    backupWindow: c?.backupWindow ?? '03:00-03:30',
    deletionProtection: c?.deletionProtection ?? true,
    storageGiB: c?.storageGiB ?? (cluster ? CLUSTER_MIN_STORAGE_GIB : 20),
    instanceClass: c?.instanceClass ?? (cluster ? 'db.m6gd.large' : 'db.t4g.medium'),
    parameters,
    strictSync: c?.strictSync ?? false,
  };
}

/** Defaults for the twin's database probes. */
export function resolveTwinDatabase(c: NonNullable<ParsedStackConfig['twin']>['database']): ResolvedSpec['twin']['database'] {
  return {
    probeIntervalMs: c?.probeIntervalMs ?? 500,
    probeTimeoutMs: c?.probeTimeoutMs ?? 500,
    failureThreshold: c?.failureThreshold ?? 3,
  };
}

/**
 * Rules across database fields (and the zone count), checked on resolved values; `raw` is the
 * section as written, for quoting a refused parameter's value as the user gave it.
 */
export function checkDatabase(spec: ResolvedSpec, raw: ParsedStackConfig['database']): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const db = spec.database;
  const cluster = db.deployment === 'multi-az-cluster';

  const w = parseWindowMinutes(db.backupWindow);
  if (w !== undefined && windowLengthMinutes(w) < MIN_BACKUP_WINDOW_MINUTES) {
    problems.push({
      path: 'database.backupWindow',
      message: `${JSON.stringify(db.backupWindow)} lasts ${windowLengthMinutes(w)} minutes; expected at least ${MIN_BACKUP_WINDOW_MINUTES}`,
    });
  }
  if (cluster && spec.zones.length < CLUSTER_MIN_ZONES) {
    problems.push({
      path: 'database.deployment',
      message: `"multi-az-cluster" needs ${CLUSTER_MIN_ZONES} zones (a writer and two readers, each in its own zone), but zones is ${spec.zones.length}; expected zones ${CLUSTER_MIN_ZONES} or more, or another deployment`,
    });
  }
  if (cluster && db.backupRetentionDays < 1) {
    problems.push({
      path: 'database.backupRetentionDays',
      message: `${db.backupRetentionDays} is not allowed with deployment "multi-az-cluster"; expected 1 to 35 (days), as a Multi-AZ DB cluster always keeps automated backups`,
    });
  }
  if (cluster && db.storageGiB < CLUSTER_MIN_STORAGE_GIB) {
    problems.push({
      path: 'database.storageGiB',
      message: `${db.storageGiB} is below ${CLUSTER_MIN_STORAGE_GIB}, the least a "multi-az-cluster" allocates (GiB)`,
    });
  }
  const family = db.instanceClass.split('.')[1] ?? '';
  if (cluster && !CLUSTER_INSTANCE_FAMILIES.includes(family)) {
    problems.push({
      path: 'database.instanceClass',
      message: `${JSON.stringify(db.instanceClass)} is not available for deployment "multi-az-cluster"; expected a class of the ${wordList(CLUSTER_INSTANCE_FAMILIES, 'or')} family, such as "db.m6gd.large"`,
    });
  }
  if (db.strictSync && db.deployment === 'single-az') {
    problems.push({
      path: 'database.strictSync',
      message: 'true is not allowed with deployment "single-az": with no standby to wait for, every commit would be refused; expected false, or a multi-az deployment',
    });
  }
  for (const [name, value] of Object.entries(raw?.parameters ?? {})) {
    if (!Object.hasOwn(MANAGED_PARAMETERS, name)) continue;
    problems.push({
      path: `database.parameters.${name}`,
      message: `received ${describeValue(value)}, but ${name} cannot be set: ${MANAGED_PARAMETERS[name]}; remove it`,
    });
  }

  const t = spec.twin.database;
  const detectionMs = t.failureThreshold * (t.probeIntervalMs + t.probeTimeoutMs);
  if (detectionMs > MAX_DETECTION_MS) {
    problems.push({
      path: 'twin.database.probeTimeoutMs',
      message: `${t.probeTimeoutMs} with probeIntervalMs ${t.probeIntervalMs} and failureThreshold ${t.failureThreshold} leaves a hung node unnoticed for ${detectionMs} ms; expected failureThreshold × (probeIntervalMs + probeTimeoutMs) at most ${MAX_DETECTION_MS} (milliseconds)`,
    });
  }
  return problems;
}
