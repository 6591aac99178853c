import { randomBytes } from 'node:crypto';

/**
 * X-Amzn-Trace-Id as ALB writes it: `Root=1-<epoch seconds, 8 hex>-<96 bits, 24 hex>`. The 96 bits
 * are a random per-process prefix and a counter: unique within a run, and far cheaper per request
 * than fresh random bytes.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-request-tracing.html
 */
export class TraceIds {
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  private second = -1;
  private secondHex = '';

  next(nowMs: number): string {
    const s = Math.floor(nowMs / 1000);
    if (s !== this.second) {
      this.second = s;
      this.secondHex = s.toString(16).padStart(8, '0');
    }
    this.counter = (this.counter + 1) % 0x1000000000000;
    return `Root=1-${this.secondHex}-${this.prefix}${this.counter.toString(16).padStart(12, '0')}`;
  }
}
