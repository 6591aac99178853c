/**
 * The storage section's defaults and rules. Bucket names follow S3's rules for general purpose
 * buckets, so a name the twin accepts is one S3 accepts too; the same rule answers CreateBucket on
 * the twin's S3 endpoint.
 */
import type { SpecProblem } from './resolve.ts';
import type { ParsedStackConfig } from './schema.ts';
import type { ResolvedBucket, ResolvedSpec } from './types.ts';

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** What is wrong with a bucket name by S3's rules, or undefined when it is allowed. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; expected 3 to 63`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'has characters other than lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must start and end with a lowercase letter or digit';
  if (name.includes('..')) return 'has two dots in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'is formatted as an IP address';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix !== undefined) return `starts with the reserved prefix "${prefix}"`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix !== undefined) return `ends with the reserved suffix "${suffix}"`;
  return undefined;
}

/** `BUCKET_<NAME>`: the variable that carries a bucket's name to the app. */
export function bucketEnvName(name: string): string {
  return `BUCKET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Defaults for the storage section; a config without one has no buckets. */
export function resolveStorage(c: ParsedStackConfig['storage'], zoneCount: number): ResolvedSpec['storage'] {
  const replicas = c?.replicas ?? Math.min(3, zoneCount);
  const buckets: ResolvedBucket[] = (c?.buckets ?? []).map((b) => ({
    name: b.name,
    versioned: b.versioned ?? true,
    lifecycle: (b.lifecycle ?? []).map((r, i) => ({
      id: r.id ?? `rule-${i + 1}`,
      prefix: r.prefix ?? '',
      expireAfterDays: r.expireAfterDays,
      noncurrentExpireAfterDays: r.noncurrentExpireAfterDays,
      abortIncompleteUploadsAfterDays: r.abortIncompleteUploadsAfterDays,
    })),
    publicAccess: 'blocked',
    envName: bucketEnvName(b.name),
  }));
  return { buckets, replicas, writeQuorum: Math.floor(replicas / 2) + 1 };
}

/** Defaults for the twin's storage nodes. */
export function resolveTwinStorage(c: NonNullable<ParsedStackConfig['twin']>['storage']): ResolvedSpec['twin']['storage'] {
  return {
    port: c?.port ?? 0,
    scrubIntervalSeconds: c?.scrubIntervalSeconds ?? 3600,
    repairIntervalSeconds: c?.repairIntervalSeconds ?? 10,
  };
}

/** Rules across storage fields and the zone count. */
export function checkStorage(spec: ResolvedSpec, raw: ParsedStackConfig['storage']): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Map<string, number>();
  const envs = new Map<string, number>();
  spec.storage.buckets.forEach((b, i) => {
    const path = `storage.buckets[${i}].name`;
    const problem = bucketNameProblem(b.name);
    if (problem !== undefined) problems.push({ path, message: `${JSON.stringify(b.name)} ${problem}` });
    const first = seen.get(b.name);
    if (first !== undefined) problems.push({ path, message: `${JSON.stringify(b.name)} is also storage.buckets[${first}].name; expected each bucket once` });
    else seen.set(b.name, i);
    const other = envs.get(b.envName);
    if (first === undefined && other !== undefined) {
      problems.push({ path, message: `${JSON.stringify(b.name)} and storage.buckets[${other}].name both reach the app as ${b.envName}; expected names that differ in more than . and -` });
    } else envs.set(b.envName, i);
    b.lifecycle.forEach((r, j) => {
      if (r.expireAfterDays === undefined && r.noncurrentExpireAfterDays === undefined && r.abortIncompleteUploadsAfterDays === undefined) {
        problems.push({ path: `storage.buckets[${i}].lifecycle[${j}]`, message: 'has no action; expected expireAfterDays, noncurrentExpireAfterDays or abortIncompleteUploadsAfterDays' });
      }
      if (r.noncurrentExpireAfterDays !== undefined && !b.versioned) {
        problems.push({ path: `storage.buckets[${i}].lifecycle[${j}].noncurrentExpireAfterDays`, message: `${r.noncurrentExpireAfterDays} is set on a bucket that is not versioned; expected versioned: true or no noncurrentExpireAfterDays` });
      }
    });
  });
  if (raw?.replicas !== undefined && raw.replicas > spec.zones.length) {
    problems.push({ path: 'storage.replicas', message: `${raw.replicas} is more than the ${spec.zones.length} zones; expected 2 to ${spec.zones.length} (one replica per zone)` });
  }
  return problems;
}
