import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, parsePartNumber, parseRange, selectPart, selectRead } from '../../../src/twin/s3/range.ts';
import { isS3Error } from '../../../src/twin/s3/s3-error.ts';
import type { PartInfo } from '../../../src/twin/storage/records.ts';
import { s3Code } from './s3-code.ts';


describe('parseRange', () => {
  const satisfiable: [header: string, size: number, start: number, end: number][] = [
    ['bytes=0-0', 10, 0, 0],
    ['bytes=0-9', 10, 0, 9],
    ['bytes=2-5', 10, 2, 5],
    ['bytes=5-', 10, 5, 9],
    ['bytes=9-', 10, 9, 9],
    ['bytes=0-99', 10, 0, 9],
    ['bytes=3-1000000000000000000000', 10, 3, 9],
    ['bytes=-3', 10, 7, 9],
    ['bytes=-10', 10, 0, 9],
    ['bytes=-100', 10, 0, 9],
    [' bytes=1-2 ', 10, 1, 2],
  ];
  for (const [header, size, start, end] of satisfiable) {
    it(`GIVEN "${header}" on ${size} bytes WHEN parsed THEN ${start}-${end}`, () => {
      assert.deepEqual(parseRange(header, size), { start, end });
    });
  }

  const ignored: [header: string | undefined, why: string][] = [
    [undefined, 'no header'],
    ['bytes=0-1,3-4', 'several ranges'],
    ['items=0-1', 'another unit'],
    ['bytes=5-3', 'last before first'],
    ['bytes=abc', 'garbage'],
    ['bytes=-', 'no numbers'],
    ['bytes=1-2-3', 'three numbers'],
    ['', 'an empty header'],
  ];
  for (const [header, why] of ignored) {
    it(`GIVEN ${why} WHEN parsed THEN the whole object is sent (undefined)`, () => {
      assert.equal(parseRange(header, 10), undefined);
    });
  }

  for (const [header, size] of [
    ['bytes=10-', 10],
    ['bytes=10-20', 10],
    ['bytes=-0', 10],
    ['bytes=0-', 0],
    ['bytes=0-5', 0],
  ] as const) {
    it(`GIVEN "${header}" on ${size} bytes WHEN parsed THEN 416 InvalidRange with the size and the range asked`, () => {
      assert.throws(
        () => parseRange(header, size),
        (e: unknown) => {
          assert.ok(isS3Error(e));
          assert.equal(e.code, 'InvalidRange');
          assert.equal(e.status, 416);
          assert.equal(e.fields.ActualObjectSize, size);
          assert.equal(e.fields.RangeRequested, header);
          assert.equal(e.headers['content-range'], `bytes */${size}`);
          return true;
        },
      );
    });
  }

  it('GIVEN a suffix range on an empty object WHEN parsed THEN the (empty) whole object is sent', () => {
    assert.equal(parseRange('bytes=-5', 0), undefined);
  });

  it('GIVEN a range WHEN formatted THEN Content-Range is bytes a-b/size', () => {
    assert.equal(contentRange({ start: 2, end: 5 }, 10), 'bytes 2-5/10');
  });
});

describe('selectPart and selectRead', () => {
  const parts: PartInfo[] = [
    { partNumber: 1, size: 5, etag: '"a"' },
    { partNumber: 2, size: 5, etag: '"b"' },
    { partNumber: 3, size: 2, etag: '"c"' },
  ];
  const multipart = { size: 12, parts };

  it('GIVEN a multipart object WHEN each part is selected THEN the ranges tile the object', () => {
    assert.deepEqual(selectPart('1', multipart), { range: { start: 0, end: 4 }, partNumber: 1, partsCount: 3 });
    assert.deepEqual(selectPart('2', multipart), { range: { start: 5, end: 9 }, partNumber: 2, partsCount: 3 });
    assert.deepEqual(selectPart('3', multipart), { range: { start: 10, end: 11 }, partNumber: 3, partsCount: 3 });
  });

  it('GIVEN a part beyond the last WHEN selected THEN 416 InvalidPartNumber with the count', () => {
    assert.throws(() => selectPart('4', multipart), s3Code('InvalidPartNumber', { PartNumberRequested: 4, ActualPartCount: 3 }));
  });

  it('GIVEN a single-part object WHEN part 1 is selected THEN it is the whole object, and part 2 is unsatisfiable', () => {
    assert.deepEqual(selectPart('1', { size: 7 }), { range: { start: 0, end: 6 }, partNumber: 1, partsCount: 1 });
    assert.throws(() => selectPart('2', { size: 7 }), s3Code('InvalidPartNumber', { ActualPartCount: 1 }));
  });

  for (const bad of ['0', '10001', '-1', '1.5', 'x', '', ' 1', '99999999']) {
    it(`GIVEN partNumber "${bad}" WHEN parsed THEN InvalidArgument names partNumber`, () => {
      assert.throws(() => parsePartNumber(bad), s3Code('InvalidArgument', { ArgumentName: 'partNumber', ArgumentValue: bad }));
    });
  }

  it('GIVEN partNumber 10000 WHEN parsed THEN it is accepted', () => {
    assert.equal(parsePartNumber('10000'), 10000);
  });

  it('GIVEN both Range and partNumber WHEN selected THEN InvalidRequest, as S3 refuses both', () => {
    assert.throws(() => selectRead({ range: 'bytes=0-1', partNumber: '1' }, multipart), s3Code('InvalidRequest'));
  });

  it('GIVEN only a Range, or neither WHEN selected THEN the range, or the whole object', () => {
    assert.deepEqual(selectRead({ range: 'bytes=1-2' }, multipart), { range: { start: 1, end: 2 } });
    assert.deepEqual(selectRead({ partNumber: null }, multipart), { range: undefined });
    assert.deepEqual(selectRead({ partNumber: '2' }, multipart).range, { start: 5, end: 9 });
  });
});
