import { twinError } from './errors.ts';
import type { ControlRoutes } from './control-server.ts';
import type { Twin } from '../region.ts';

function str(body: Record<string, unknown>, field: string, what: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `${field}: received ${v === undefined ? 'nothing' : JSON.stringify(v)}, expected ${what}`);
  }
  return v;
}

function optInt(body: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `${field}: received ${JSON.stringify(v)}, expected a whole number from ${min} to ${max}`);
  }
  return v;
}

function optStr(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw twinError('HASTACK_CONTROL_BAD_REQUEST', `${field}: received ${JSON.stringify(v)}, expected a string`);
  return v;
}

/** A whole-number query parameter, or its default when absent. */
function queryInt(q: URLSearchParams, field: string, min: number, max: number, dflt: number): number {
  const v = q.get(field);
  if (v === null) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', `${field}: received ${JSON.stringify(v)}, expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** A day: fault durations beyond it are mistakes (and Node timers overflow past ~24.8 days). */
export const MAX_FAULT_SECONDS = 86_400;

/** The control API's routes, each a thin call into the Twin. */
export function controlRoutes(twin: () => Twin): ControlRoutes {
  return {
    'GET /status': () => twin().status(),
    'GET /env': () => ({ env: twin().env() }),
    'GET /events': (_b, q) => ({ events: twin().events.list().slice(-queryInt(q, 'limit', 1, 2000, 200)) }),
    'GET /logs': (_b, q) => ({ lines: twin().logs(q.get('id') ?? undefined, queryInt(q, 'lines', 1, 100_000, 200)) }),
    'POST /scale': (b) => {
      const desired = optInt(b, 'desired', 0, 1000);
      if (desired === undefined) throw twinError('HASTACK_CONTROL_BAD_REQUEST', 'desired: received nothing, expected a whole number');
      return { desired: twin().scale(desired) };
    },
    'POST /faults/kill-instance': (b) => ({ message: twin().killInstance(str(b, 'id', 'an instance id')) }),
    'POST /faults/hang-instance': (b) => ({ message: twin().hangInstance(str(b, 'id', 'an instance id'), optInt(b, 'seconds', 1, MAX_FAULT_SECONDS)) }),
    'POST /faults/resume-instance': (b) => ({ message: twin().resumeInstance(str(b, 'id', 'an instance id')) }),
    'POST /faults/zone-outage': (b) => ({ message: twin().zoneOutage(str(b, 'zone', 'a zone name'), optInt(b, 'seconds', 1, MAX_FAULT_SECONDS)) }),
    'POST /faults/zone-restore': (b) => ({ message: twin().zoneRestore(str(b, 'zone', 'a zone name')) }),
    'POST /faults/db-kill-primary': () => ({ message: twin().dbKillPrimary() }),
    'POST /faults/db-hang-primary': (b) => ({ message: twin().dbHangPrimary(optInt(b, 'seconds', 1, MAX_FAULT_SECONDS)) }),
    'POST /faults/db-kill-standby': () => ({ message: twin().dbKillStandby() }),
    'POST /faults/storage-kill-node': (b) => ({ message: twin().storageKillNode(optStr(b, 'zone')) }),
    'POST /storage/repair': async () => ({ repair: await twin().s3().repair() }),
    'POST /db/failover': async () => ({ failover: await twin().db().failover() }),
    'GET /db/snapshots': async () => ({ snapshots: await twin().db().snapshots() }),
    'POST /db/snapshots': async (b) => ({ snapshot: await twin().db().snapshot(optStr(b, 'name')) }),
    'POST /db/restore': async (b) => ({ restore: await twin().db().restore(str(b, 'toTime', 'an ISO 8601 time such as 2026-11-23T10:15:00Z'), optStr(b, 'as')) }),
    'POST /shutdown': () => {
      // Answer first; the supervisor's host (the `up` command) exits once close() is done.
      setImmediate(() => void twin().close().catch(() => undefined)); // close() reports its own failures as events
      return { message: 'stopping' };
    },
  };
}
