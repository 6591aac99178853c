import type { Dimensions } from './types.ts';

// Separators that cannot appear in CloudWatch names or dimension values (printable ASCII), so two
// different identities never share a key.
const FIELD = '\u001f';
const PAIR = '\u001e';

/** The store's key for a series: namespace, name and dimensions sorted by name. */
export function seriesKey(namespace: string, name: string, dimensions: Dimensions): string {
  let key = namespace + FIELD + name;
  const names = Object.keys(dimensions);
  if (names.length > 1) names.sort();
  for (const n of names) key += FIELD + n + PAIR + dimensions[n];
  return key;
}

/** True when every dimension in `subset` is in `dimensions` with the same value (ListMetrics' filter). */
export function dimensionsInclude(dimensions: Dimensions, subset: Dimensions): boolean {
  for (const [k, v] of Object.entries(subset)) if (dimensions[k] !== v) return false;
  return true;
}
