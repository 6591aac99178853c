/**
 * The CPU architecture of an EC2 instance type, read from its name, so the launch template picks
 * the matching Amazon Linux 2023 image without asking AWS. Pure.
 * @see https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html
 */

export type Architecture = 'arm64' | 'x86_64';

/**
 * `arm64` for AWS Graviton types, `x86_64` for the rest. A type's family is its class letters, a
 * generation digit and attribute letters (`m7gd`: class m, generation 7, attributes gd); a `g`
 * among the attributes means Graviton (t4g, c6gn, im4gn, is4gen, g5g), while a `g` in the class
 * does not (g4dn, g6, gr6 are x86 GPU types). a1 is the first Graviton type.
 */
export function architectureOf(instanceType: string): Architecture {
  const family = instanceType.split('.')[0] ?? '';
  if (family === 'a1') return 'arm64';
  const m = /^[a-z-]+?\d+([a-z]*)/.exec(family);
  return m !== null && (m[1] ?? '').includes('g') ? 'arm64' : 'x86_64';
}
