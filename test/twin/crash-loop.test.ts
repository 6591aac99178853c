import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startTwin } from '../../src/twin/region.ts';
import type { TwinEvent } from '../../src/twin/events.ts';
import { guestbookSpec, sleep } from '../helpers/twin.ts';
import { removeStateDir } from '../helpers/state-dir.ts';

describe('an app that crashes at start', () => {
  it('GIVEN instances that exit at once WHEN the group keeps replacing them THEN launches back off instead of looping', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'hastack-test-'));
    const events: TwinEvent[] = [];
    const spec = guestbookSpec({ app: { start: { command: 'node', args: ['-e', 'process.exit(3)'] } } });
    const twin = await startTwin({ spec, stateDir, database: false, onEvent: (e) => events.push(e) });
    try {
      await sleep(5000);
      const launches = events.filter((e) => e.type === 'instance-launched').length;
      // 3 at once, then backing off 1 s, 2 s, 4 s: a handful, never hundreds.
      assert.ok(launches >= 3 && launches <= 10, `${launches} launches in 5 s`);
      const backoff = events.filter((e) => e.type === 'launch-backoff');
      assert.ok(backoff.length > 0);
      assert.match(backoff[0]!.message, /stopped before it entered service .* next launch in \d+ s/);
      assert.match((await fetch(twin.endpoint)).status.toString(), /^503$/, 'no target: the load balancer answers 503');
    } finally {
      await twin.close();
      removeStateDir(stateDir);
    }
  });
});
