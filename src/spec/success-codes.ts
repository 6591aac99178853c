/**
 * The load balancer's health-check "matcher": `200`, `200,202`, `200-299`, or a mix
 * (`200,300-399`). ALB allows codes 200–499 for HTTP targets. One parser for the spec's check, the
 * twin's matcher and the AWS launch hook's shell test.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export type SuccessMatcher = (status: number) => boolean;

/** Codes `lo` to `hi`, both included (`lo === hi` for a single code). */
export interface CodeRange {
  readonly lo: number;
  readonly hi: number;
}

export type ParsedSuccessCodes =
  | { readonly ok: true; readonly ranges: readonly CodeRange[]; readonly match: SuccessMatcher }
  | { readonly ok: false; readonly problem: string };

const PART = /^(\d{3})(?:-(\d{3}))?$/;

export function parseSuccessCodes(spec: string): ParsedSuccessCodes {
  const ranges: CodeRange[] = [];
  for (const raw of spec.split(',')) {
    const m = PART.exec(raw.trim());
    if (m === null) return { ok: false, problem: `"${raw.trim()}" is not a code (200) or a range (200-299)` };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 200 || hi > 499) return { ok: false, problem: `"${raw.trim()}" is outside 200-499` };
    if (hi < lo) return { ok: false, problem: `"${raw.trim()}" is an empty range` };
    ranges.push({ lo, hi });
  }
  // A lookup table: probes are rare, but this keeps the matcher trivially correct.
  const table = new Uint8Array(600);
  for (const { lo, hi } of ranges) table.fill(1, lo, hi + 1);
  return { ok: true, ranges, match: (status) => table[status] === 1 };
}
