import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LbMetrics, RESPONSE_TIME_SAMPLES } from '../../../src/twin/lb/lb-metrics.ts';
import type { MetricDatum } from '../../../src/twin/monitor/types.ts';

function sink() {
  const data: MetricDatum[] = [];
  return { data, put: (d: MetricDatum) => void data.push(d) };
}

describe('LbMetrics', () => {
  it('GIVEN a second of traffic WHEN flushed THEN counts go out once with ALB names, units and dimensions, then reset', () => {
    const s = sink();
    const m = new LbMetrics('shop', s);
    m.hostCounts(1_000, { healthy: 2, unhealthy: 0 }, new Map());
    m.requests += 4;
    m.targetResponse(200, 0.01);
    m.targetResponse(204, 0.03);
    m.targetResponse(404, 0.02);
    m.targetResponse(503, 0.04);
    m.elbResponse(502);
    m.elbResponse(301);
    m.flush(1_000);
    const get = (name: string, dims: Record<string, string>) =>
      s.data.filter((d) => d.name === name && JSON.stringify(d.dimensions) === JSON.stringify(dims)).map((d) => d.value);
    const lb = { LoadBalancer: 'app/shop/local' };
    const tg = { LoadBalancer: 'app/shop/local', TargetGroup: 'targetgroup/shop/local' };
    assert.deepEqual(get('RequestCount', lb), [4]);
    assert.deepEqual(get('RequestCount', tg), [4]);
    assert.deepEqual(get('RequestCountPerTarget', { TargetGroup: 'targetgroup/shop/local' }), [2]);
    assert.deepEqual(get('HTTPCode_Target_2XX_Count', tg), [2]);
    assert.deepEqual(get('HTTPCode_Target_4XX_Count', lb), [1]);
    assert.deepEqual(get('HTTPCode_Target_5XX_Count', tg), [1]);
    assert.deepEqual(get('HTTPCode_ELB_5XX_Count', lb), [1]);
    assert.deepEqual(get('HTTPCode_ELB_502_Count', lb), [1]);
    assert.deepEqual(get('HTTPCode_ELB_3XX_Count', lb), [1]);
    assert.deepEqual(get('TargetResponseTime', tg).sort(), [0.01, 0.02, 0.03, 0.04]);
    assert.ok(s.data.every((d) => d.namespace === 'AWS/ApplicationELB' && d.timestamp === 1_000));
    assert.equal(s.data.find((d) => d.name === 'TargetResponseTime')?.unit, 'Seconds');
    assert.equal(get('HTTPCode_Target_3XX_Count', lb).length, 0, 'zero counts are left out, as ALB does');

    const before = s.data.length;
    m.flush(2_000);
    assert.equal(s.data.length, before, 'a quiet second puts nothing');
  });

  it('GIVEN more responses in a second than the sample holds WHEN flushed THEN a bounded sample of response times goes out', () => {
    const s = sink();
    const m = new LbMetrics('shop', s);
    for (let i = 0; i < 10_000; i++) m.targetResponse(200, 0.5);
    m.flush(1_000);
    const rt = s.data.filter((d) => d.name === 'TargetResponseTime' && d.dimensions.TargetGroup === undefined);
    assert.equal(rt.length, RESPONSE_TIME_SAMPLES);
    assert.ok(rt.every((d) => d.value === 0.5));
    assert.deepEqual(s.data.filter((d) => d.name === 'HTTPCode_Target_2XX_Count').map((d) => d.value), [10_000, 10_000]);
  });

  it('GIVEN a sink that throws WHEN flushed THEN the error stays in the metrics layer', () => {
    const m = new LbMetrics('shop', { put: () => { throw new Error('store down'); } });
    m.requests = 1;
    assert.doesNotThrow(() => m.flush(1));
  });
});
