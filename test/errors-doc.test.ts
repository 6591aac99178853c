import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_AREAS, renderErrorsDoc } from '../src/error-registry.ts';

describe('error registry', () => {
  it('GIVEN every registry WHEN docs/errors.md is read THEN it matches the registries exactly', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run npm run docs:errors');
  });

  for (const { area, errors } of ERROR_AREAS) {
    it(`GIVEN the ${area} registry WHEN read THEN every code is HASTACK_*, unique and has a summary`, () => {
      for (const [code, def] of Object.entries(errors)) {
        assert.match(code, /^HASTACK_[A-Z0-9_]+$/);
        assert.ok(def.summary.length > 20, `${code} needs a summary`);
        assert.ok(def.source === 'user' || def.source === 'internal');
      }
    });
  }

  it('GIVEN all registries WHEN combined THEN no code appears twice', () => {
    const all = ERROR_AREAS.flatMap((a) => Object.keys(a.errors));
    assert.equal(new Set(all).size, all.length);
  });
});
