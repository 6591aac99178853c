import path from 'node:path';
import type { z } from 'zod';
import { checkDatabase, resolveDatabase, resolveTwinDatabase } from './database.ts';
import { specError } from './errors.ts';
import { checkStorage, resolveStorage, resolveTwinStorage } from './storage.ts';
import { checkAlarms, resolveAlarms } from './alarms.ts';
import { checkDns, resolveAws, resolveDns } from './aws.ts';
import { defaultZones } from './regions.ts';
import { stackConfigSchema, type ParsedStackConfig } from './schema.ts';
import type { CommandConfig, ResolvedCommand, ResolvedSpec, ResolvedTargetTracking } from './types.ts';

/** One thing wrong with a config: where, and what was received against what is allowed. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: SpecProblem): string {
  return p.path === '' ? p.message : `${p.path}: ${p.message}`;
}

function joinPath(parts: readonly PropertyKey[]): string {
  return parts.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function problemsFromZod(error: z.ZodError): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: joinPath([...issue.path, key]), message: 'unknown field' });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // A record's key failed its own schema, whose message says what a key must look like.
      out.push({ path: joinPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
      continue;
    }
    out.push({ path: joinPath(issue.path), message: issue.message });
  }
  return out;
}

const ZONE_LETTERS = 'abcdef';

function resolveCommand(c: CommandConfig, configDir: string): ResolvedCommand {
  return {
    command: c.command,
    args: [...(c.args ?? [])],
    cwd: path.resolve(configDir, c.cwd ?? '.'),
  };
}

/** Cross-field rules, checked after defaults so they see the numbers that will be used. */
function checkInvariants(spec: ResolvedSpec, raw: ParsedStackConfig): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const { min, desired, max } = spec.capacity;
  if (min > max) problems.push({ path: 'capacity.min', message: `${min} must be <= capacity.max (${max})` });
  const desiredGiven = raw.capacity?.desired !== undefined;
  if (desiredGiven && desired < min) problems.push({ path: 'capacity.desired', message: `${desired} must be >= capacity.min (${min})` });
  if (desiredGiven && desired > max) problems.push({ path: 'capacity.desired', message: `${desired} must be <= capacity.max (${max})` });

  const hc = spec.loadBalancer.healthCheck;
  if (hc.timeout >= hc.interval) {
    problems.push({
      path: 'loadBalancer.healthCheck.timeout',
      message: `${hc.timeout} must be below loadBalancer.healthCheck.interval (${hc.interval}) (seconds)`,
    });
  }
  const lb = spec.loadBalancer;
  if (lb.slowStart !== 0 && lb.slowStart < 30) {
    problems.push({ path: 'loadBalancer.slowStart', message: `${lb.slowStart} is not allowed, expected 0 (off) or 30 to 900 (seconds)` });
  }
  if (lb.slowStart !== 0 && lb.algorithm === 'least_outstanding_requests') {
    problems.push({
      path: 'loadBalancer.slowStart',
      message: `${lb.slowStart} is not allowed with algorithm "least_outstanding_requests"; expected 0 (ALB does not combine them)`,
    });
  }
  if (raw.loadBalancer?.https === false && raw.loadBalancer.certificateArn !== undefined) {
    problems.push({ path: 'loadBalancer.https', message: 'false, but certificateArn is set; expected true or no certificateArn' });
  }
  const t = spec.twin;
  if (spec.loadBalancer.https && t.httpPort !== 0 && t.httpPort === t.httpsPort) {
    problems.push({ path: 'twin.httpsPort', message: `${t.httpsPort} is also twin.httpPort; expected a different port` });
  }
  problems.push(...checkDatabase(spec, raw.database));
  problems.push(...checkStorage(spec, raw.storage));
  problems.push(...checkAlarms(spec, raw.alarms));
  problems.push(...checkDns(spec));
  const seenZones = new Map<string, number>();
  spec.zones.forEach((z, i) => {
    const first = seenZones.get(z);
    if (first !== undefined) problems.push({ path: `zones[${i}]`, message: `${JSON.stringify(z)} is also zones[${first}]; expected each zone once` });
    else seenZones.set(z, i);
  });
  return problems;
}

function applyDefaults(c: ParsedStackConfig, configDir: string): ResolvedSpec {
  const spec = applySectionDefaults(c, configDir);
  return { ...spec, alarms: resolveAlarms(c.alarms, spec) };
}

function applySectionDefaults(c: ParsedStackConfig, configDir: string): Omit<ResolvedSpec, 'alarms'> {
  const region = c.region ?? 'us-east-1';
  const zones = typeof c.zones === 'object' ? [...c.zones] : defaultZones(region, c.zones ?? 3);
  const zoneCount = zones.length;
  const twinRegion = c.twin?.region ?? 'local-1';
  const letters = ZONE_LETTERS.slice(0, zoneCount).split('');
  const min = c.capacity?.min ?? zoneCount;
  const interval = c.loadBalancer?.healthCheck?.interval ?? 5;
  const healthCheckPath = c.loadBalancer?.healthCheck?.path ?? '/readyz';
  const as = c.autoScaling;
  const targetTracking: ResolvedTargetTracking[] = [];
  const cpu = as?.cpu ?? { target: 50 };
  if (cpu !== false) targetTracking.push({ metric: 'CPUUtilization', target: cpu.target, disableScaleIn: cpu.disableScaleIn ?? false });
  const rc = as?.requestCountPerTarget ?? false;
  if (rc !== false) targetTracking.push({ metric: 'ALBRequestCountPerTarget', target: rc.target, disableScaleIn: rc.disableScaleIn ?? false });
  return {
    name: c.name,
    region,
    zones,
    configDir,
    app: {
      start: resolveCommand(c.app.start, configDir),
      build: c.app.build === undefined ? undefined : resolveCommand(c.app.build, configDir),
      port: c.app.port ?? 8080,
      env: { ...(c.app.env ?? {}) },
      stopTimeout: c.app.stopTimeout ?? 10,
    },
    capacity: { min, desired: c.capacity?.desired ?? min, max: c.capacity?.max ?? zoneCount * 3 },
    loadBalancer: {
      https: c.loadBalancer?.https ?? (c.loadBalancer?.certificateArn !== undefined || c.dns !== undefined),
      certificateArn: c.loadBalancer?.certificateArn,
      algorithm: c.loadBalancer?.algorithm ?? 'round_robin',
      deregistrationDelay: c.loadBalancer?.deregistrationDelay ?? 30,
      slowStart: c.loadBalancer?.slowStart ?? 0,
      idleTimeout: c.loadBalancer?.idleTimeout ?? 60,
      healthCheck: {
        path: healthCheckPath,
        interval,
        timeout: c.loadBalancer?.healthCheck?.timeout ?? Math.min(5, interval - 1),
        healthyThreshold: c.loadBalancer?.healthCheck?.healthyThreshold ?? 2,
        unhealthyThreshold: c.loadBalancer?.healthCheck?.unhealthyThreshold ?? 2,
        successCodes: c.loadBalancer?.healthCheck?.successCodes ?? '200',
      },
    },
    autoScaling: {
      healthCheckType: as?.healthCheckType ?? 'ELB',
      healthCheckGracePeriod: as?.healthCheckGracePeriod ?? 60,
      cooldown: as?.cooldown ?? 300,
      instanceWarmup: as?.instanceWarmup ?? 300,
      metricPeriod: as?.metricPeriod ?? 60,
      targetTracking,
      instanceRefreshMinHealthyPercentage: as?.instanceRefreshMinHealthyPercentage ?? 90,
    },
    database: resolveDatabase(c.database),
    storage: resolveStorage(c.storage, zoneCount),
    dns: resolveDns(c.dns, healthCheckPath),
    aws: resolveAws(c.aws),
    twin: {
      region: twinRegion,
      zones: letters.map((l) => `${twinRegion}${l}`),
      httpPort: c.twin?.httpPort ?? 8080,
      httpsPort: c.twin?.httpsPort ?? 8443,
      fidelity: c.twin?.fidelity ?? 'fast',
      database: resolveTwinDatabase(c.twin?.database),
      storage: resolveTwinStorage(c.twin?.storage),
    },
  };
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

export type ResolveResult =
  | { readonly ok: true; readonly spec: ResolvedSpec }
  | { readonly ok: false; readonly problems: readonly SpecProblem[] };

/** Validates a config and applies every default once; returns all problems together. */
export function checkSpec(config: unknown, options: { configDir?: string } = {}): ResolveResult {
  const configDir = path.resolve(options.configDir ?? process.cwd());
  const parsed = stackConfigSchema.safeParse(config, { reportInput: true });
  if (!parsed.success) {
    const problems = problemsFromZod(parsed.error);
    // Report cross-field problems too: drop the fields that failed and check what remains.
    const rest = withoutPaths(config, parsed.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k]) : [i.path])));
    const again = stackConfigSchema.safeParse(rest);
    if (again.success) {
      const seen = new Set(problems.map((p) => p.path));
      for (const p of checkInvariants(applyDefaults(again.data, configDir), again.data)) if (!seen.has(p.path)) problems.push(p);
    }
    return { ok: false, problems };
  }
  const spec = applyDefaults(parsed.data, configDir);
  const problems = checkInvariants(spec, parsed.data);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, spec: deepFreeze(spec) };
}

/** A deep copy of `v` without the values at `paths` (whole optional sections go if needed). */
function withoutPaths(v: unknown, paths: readonly (readonly PropertyKey[])[]): unknown {
  const copy = structuredCloneSafe(v);
  for (const p of paths) {
    if (p.length === 0) return copy;
    let cur: unknown = copy;
    for (const k of p.slice(0, -1)) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k] : undefined;
    if (cur !== null && typeof cur === 'object') delete (cur as Record<PropertyKey, unknown>)[p[p.length - 1]!];
  }
  // Required fields that were dropped get placeholders; their own problems are already reported.
  if (copy !== null && typeof copy === 'object') {
    const c = copy as { name?: unknown; app?: { start?: { command?: unknown } } };
    c.name ??= 'placeholder';
    c.app ??= {};
    c.app.start ??= {};
    c.app.start.command ??= 'placeholder';
  }
  return copy;
}

function structuredCloneSafe(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return v; // functions or symbols inside: nothing more to learn from it
  }
}

/** Like checkSpec, but throws HASTACK_SPEC_INVALID listing every problem. */
export function resolveSpec(config: unknown, options: { configDir?: string } = {}): ResolvedSpec {
  const r = checkSpec(config, options);
  if (r.ok) return r.spec;
  throw specError('HASTACK_SPEC_INVALID', `invalid stack config:\n${r.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, {
    details: { problems: r.problems },
  });
}
