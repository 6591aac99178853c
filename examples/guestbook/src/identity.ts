/**
 * Which instance and zone this process is, read from the EC2 instance metadata service with
 * IMDSv2 session tokens, the way the AWS SDKs do. On the twin the same endpoint is served locally
 * and found through AWS_EC2_METADATA_SERVICE_ENDPOINT, so this code is identical on both.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 */
import os from 'node:os';

export interface Identity {
  readonly instanceId: string;
  readonly zone: string;
  /** `imds` when read from the metadata service, `fallback` when it could not be reached. */
  readonly source: 'imds' | 'fallback';
}

export interface IdentityOptions {
  readonly endpoint: string;
  readonly disabled?: boolean;
  /** Tries before falling back. @default 3 */
  readonly attempts?: number;
  /** Per-request timeout in ms; the SDKs use 1 s. @default 1000 */
  readonly timeoutMs?: number;
  readonly warn?: (msg: string) => void;
}

const TOKEN_TTL_SECONDS = '21600';

export async function fetchIdentity(o: IdentityOptions): Promise<Identity> {
  const fallback = (why: string): Identity => {
    const id = os.hostname() || 'unknown';
    o.warn?.(`instance metadata unavailable (${why}); using hostname ${id} as instance id and zone "unknown"`);
    return { instanceId: id, zone: 'unknown', source: 'fallback' };
  };
  if (o.disabled === true) return fallback('AWS_EC2_METADATA_DISABLED is true');
  const attempts = o.attempts ?? 3;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** (i - 1)));
    try {
      return await readOnce(o.endpoint, o.timeoutMs ?? 1000);
    } catch (e) {
      last = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
    }
  }
  return fallback(`${o.endpoint}: ${last}`);
}

async function readOnce(endpoint: string, timeoutMs: number): Promise<Identity> {
  const tokenRes = await fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!tokenRes.ok) throw new Error(`token request answered ${tokenRes.status}`);
  const token = await tokenRes.text();
  const get = async (p: string): Promise<string> => {
    const r = await fetch(`${endpoint}/latest/meta-data/${p}`, {
      headers: { 'X-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!r.ok) throw new Error(`${p} answered ${r.status}`);
    const text = (await r.text()).trim();
    if (text === '') throw new Error(`${p} was empty`);
    return text;
  };
  const [instanceId, zone] = await Promise.all([get('instance-id'), get('placement/availability-zone')]);
  return { instanceId, zone, source: 'imds' };
}
