import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNKED_ERROR, CHUNKED_MORE, ChunkedScanner } from '../../../src/twin/lb/chunked-scanner.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('ChunkedScanner', () => {
  const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n';

  it('GIVEN a whole chunked body followed by the next request WHEN scanned THEN the end offset is found', () => {
    const s = new ChunkedScanner();
    const buf = b(`${body}GET / HTTP/1.1\r\n`);
    assert.equal(s.scan(buf, 0), body.length);
  });

  it('GIVEN the body one byte at a time WHEN scanned THEN it needs more until the very last byte', () => {
    const s = new ChunkedScanner();
    for (let i = 0; i < body.length - 1; i++) assert.equal(s.scan(b(body[i]!), 0), CHUNKED_MORE, `byte ${i}`);
    assert.equal(s.scan(b(body.at(-1)!), 0), 1);
  });

  it('GIVEN trailers WHEN scanned THEN the body ends after the blank line that closes them', () => {
    const t = '3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n';
    assert.equal(new ChunkedScanner().scan(b(`${t}rest`), 0), t.length);
  });

  it('GIVEN a start offset WHEN scanned THEN bytes before it are ignored', () => {
    assert.equal(new ChunkedScanner().scan(b(`HEAD${body}`), 4), 4 + body.length);
  });

  for (const [name, bad] of [
    ['a non-hex size', 'x\r\n'],
    ['a bare LF after the size', '5\nhello\r\n'],
    ['data longer than its size', '2\r\nabc\r\n'],
    ['a size with too many digits', `${'f'.repeat(14)}\r\n`],
    ['a control character in an extension', '1;\u0001\r\n'],
  ] as const) {
    it(`GIVEN ${name} WHEN scanned THEN it is an error`, () => {
      assert.equal(new ChunkedScanner().scan(b(bad), 0), CHUNKED_ERROR);
    });
  }

  it('GIVEN a scanner reset between messages WHEN reused THEN it starts clean', () => {
    const s = new ChunkedScanner();
    assert.equal(s.scan(b('5\r\nhel'), 0), CHUNKED_MORE);
    s.reset();
    assert.equal(s.scan(b('0\r\n\r\n'), 0), 5);
  });
});
