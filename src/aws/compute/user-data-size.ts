/**
 * EC2 refuses user data above 16 KB (raw, before base64), and only when an instance launches: the
 * stack deploys, then every launch fails. So the boot script's size is checked at synth. Values
 * only known at deploy time (bucket names, ARNs, the database endpoint) are still tokens then;
 * each counts as a generous bound of what CloudFormation puts in its place.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
 */
import { Tokenization } from 'aws-cdk-lib';
import type { ResolvedSpec } from '../../spec/types.ts';
import { awsError } from '../errors.ts';
import { renderEnvFile } from './app-environment.ts';

/** EC2's limit on user data, in bytes before base64. */
export const USER_DATA_MAX_BYTES = 16 * 1024;
/**
 * Bytes counted for a value resolved at deploy time: above the names, ARNs and endpoints that end
 * up in the boot script (bucket names ≤ 63, generated secret ARNs and RDS endpoints ≈ 100).
 */
export const DEPLOY_TIME_VALUE_BYTES = 256;

/** The boot script's size in bytes once deployed, with each deploy-time value at its bound. */
export function userDataBytes(userData: string): number {
  const fragments = Tokenization.reverseString(userData);
  if (fragments.tokens.length === 0) return Buffer.byteLength(userData);
  const stand = 'x'.repeat(DEPLOY_TIME_VALUE_BYTES);
  const text = fragments.mapTokens({ mapToken: () => stand }).join({ join: (l: unknown, r: unknown) => `${String(l)}${String(r)}` }) as unknown;
  return Buffer.byteLength(typeof text === 'string' ? text : String(text));
}

/**
 * Throws HASTACK_AWS_SPEC_INVALID naming app.env when `userData` would be above EC2's limit. The
 * rest of the script is hastack's own and small; app.env is what grows it.
 */
export function assertUserDataFits(spec: ResolvedSpec, userData: string): void {
  const bytes = userDataBytes(userData);
  if (bytes <= USER_DATA_MAX_BYTES) return;
  const envBytes = Buffer.byteLength(renderEnvFile(spec.app.env));
  throw awsError(
    'HASTACK_AWS_SPEC_INVALID',
    `app.env: the instances' boot script would be about ${bytes} bytes, of which app.env takes ${envBytes}; expected at most ${USER_DATA_MAX_BYTES} bytes (EC2's user data limit). Keep large values out of app.env (put them in a bucket or a secret the app reads at start)`,
    { details: { field: 'app.env', userDataBytes: bytes, appEnvBytes: envBytes, limit: USER_DATA_MAX_BYTES } },
  );
}
