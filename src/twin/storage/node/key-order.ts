/**
 * The order keys and identities are listed in: by Unicode code point, which is the UTF-8 byte
 * order S3 lists keys in. JavaScript's `<` compares UTF-16 code units instead, which differs for
 * characters above U+FFFF against those from U+E000 to U+FFFF.
 */

/** Negative, zero or positive as `a` sorts before, with or after `b` in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  return rank(a.charCodeAt(i)) - rank(b.charCodeAt(i));
}

/** Surrogates (code points above U+FFFF) rank after every other code unit. */
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  if (unit < 0xe000) return unit + 0x2000;
  return unit - 0x800;
}
