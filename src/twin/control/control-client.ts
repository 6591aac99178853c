import { HastackError } from '../../errors.ts';
import { twinError } from './errors.ts';

/** The CLI's side of the control API. */
export class ControlClient {
  constructor(private readonly url: string, private readonly token: string) {}

  async call<T = unknown>(method: 'GET' | 'POST', route: string, body?: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw twinError('HASTACK_CONTROL_UNREACHABLE', `cannot reach the twin's control API at ${this.url}: ${(cause as Error).message}`, { cause });
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string; source: 'user' | 'internal'; details?: Record<string, unknown> } };
    if (!res.ok) {
      const e = json.error;
      throw new HastackError(e?.code ?? 'HASTACK_CONTROL_BAD_REQUEST', e?.source ?? 'internal', e?.message ?? `HTTP ${res.status}`, e?.details ? { details: e.details } : {});
    }
    return json as T;
  }
}
