/** Items as prose: `a`, `a or b`, `a, b and c`. */
export function wordList(items: readonly (string | number)[], last: 'and' | 'or'): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}
