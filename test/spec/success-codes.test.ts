import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSuccessCodes } from '../../src/spec/success-codes.ts';

describe('parseSuccessCodes', () => {
  const good: [string, number[], number[]][] = [
    ['200', [200], [201, 204, 302, 503]],
    ['200,202', [200, 202], [201, 203]],
    ['200-299', [200, 250, 299], [199, 300, 404]],
    ['200, 300-399', [200, 301, 399], [204, 400]],
  ];
  for (const [spec, yes, no] of good) {
    it(`GIVEN "${spec}" WHEN codes are matched THEN ${yes.join('/')} pass and ${no.join('/')} fail`, () => {
      const p = parseSuccessCodes(spec);
      assert.ok(p.ok);
      for (const c of yes) assert.equal(p.match(c), true, String(c));
      for (const c of no) assert.equal(p.match(c), false, String(c));
    });
  }
  for (const bad of ['', 'ok', '20', '200-', '299-200', '100', '200-500', '200;202']) {
    it(`GIVEN "${bad}" WHEN parsed THEN it is refused with a reason`, () => {
      const p = parseSuccessCodes(bad);
      assert.equal(p.ok, false);
      if (!p.ok) assert.ok(p.problem.length > 0);
    });
  }
});
