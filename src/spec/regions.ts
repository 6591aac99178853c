/**
 * Availability Zone names of the commercial AWS regions, as an account sees them, so templates can
 * name their zones without asking AWS (no credentials at synthesis). An account may see fewer zones
 * in a region (new accounts in us-west-1 and ap-northeast-1 see two or three); validate checks names
 * against this list and deploy surfaces anything AWS still refuses. A region missing here (a new
 * one) is refused by the AWS checks until it is added.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
 */
export const REGION_ZONE_LETTERS: Readonly<Record<string, string>> = {
  'us-east-1': 'abcdef',
  'us-east-2': 'abc',
  'us-west-1': 'abc',
  'us-west-2': 'abcd',
  'af-south-1': 'abc',
  'ap-east-1': 'abc',
  'ap-east-2': 'abc',
  'ap-south-1': 'abc',
  'ap-south-2': 'abc',
  'ap-southeast-1': 'abc',
  'ap-southeast-2': 'abc',
  'ap-southeast-3': 'abc',
  'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc',
  'ap-southeast-7': 'abc',
  'ap-northeast-1': 'acd',
  'ap-northeast-2': 'abcd',
  'ap-northeast-3': 'abc',
  'ca-central-1': 'abd',
  'ca-west-1': 'abc',
  'eu-central-1': 'abc',
  'eu-central-2': 'abc',
  'eu-west-1': 'abc',
  'eu-west-2': 'abc',
  'eu-west-3': 'abc',
  'eu-south-1': 'abc',
  'eu-south-2': 'abc',
  'eu-north-1': 'abc',
  'il-central-1': 'abc',
  'me-south-1': 'abc',
  'me-central-1': 'abc',
  'mx-central-1': 'abc',
  'sa-east-1': 'abc',
};

/**
 * Regions where an account sees fewer zones than the region has: each account in us-west-1 gets two
 * of its three (which two depends on the account).
 */
export const ACCOUNT_ZONE_LIMIT: Readonly<Record<string, number>> = { 'us-west-1': 2 };

/** How many zones one account can use in a region hastack knows. */
export function usableZoneCount(region: string): number | undefined {
  const known = regionZones(region);
  return known === undefined ? undefined : Math.min(known.length, Object.hasOwn(ACCOUNT_ZONE_LIMIT, region) ? ACCOUNT_ZONE_LIMIT[region]! : known.length);
}

/** The zone names of a region hastack knows, or undefined for one it does not. */
export function regionZones(region: string): readonly string[] | undefined {
  const letters = Object.hasOwn(REGION_ZONE_LETTERS, region) ? REGION_ZONE_LETTERS[region] : undefined;
  return letters === undefined ? undefined : letters.split('').map((l) => `${region}${l}`);
}

/**
 * The first `count` zones of a region (by its known zones, else by letter from a; the AWS checks
 * refuse an unknown region, and a known one with fewer zones is refused by name).
 */
export function defaultZones(region: string, count: number): string[] {
  const known = regionZones(region);
  if (known !== undefined && known.length >= count) return known.slice(0, count);
  return 'abcdef'.slice(0, count).split('').map((l) => `${region}${l}`);
}
