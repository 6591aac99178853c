import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, BODY_UNTIL_CLOSE } from '../../../src/twin/lb/request-head.ts';
import { parseResponseHead } from '../../../src/twin/lb/response-head.ts';

const head = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('');

describe('parseResponseHead', () => {
  it('GIVEN a Node-style keep-alive response WHEN parsed THEN hop-by-hop headers go and the Keep-Alive hint is read', () => {
    const r = parseResponseHead(head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 5', 'Connection: keep-alive', 'Keep-Alive: timeout=5'), false)!;
    assert.equal(r.status, 200);
    assert.equal(r.kept, head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 5'));
    assert.equal(r.bodyKind, BODY_LENGTH);
    assert.equal(r.contentLength, 5);
    assert.equal(r.reusable, true);
    assert.equal(r.keepAliveMs, 5000);
  });

  const framing: [string, string, boolean, number, boolean][] = [
    ['chunked', head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'), false, BODY_CHUNKED, true],
    ['no length at all (body until close)', head('HTTP/1.1 200 OK'), false, BODY_UNTIL_CLOSE, false],
    ['204', head('HTTP/1.1 204 No Content'), false, BODY_NONE, true],
    ['304 with a length', head('HTTP/1.1 304 Not Modified', 'Content-Length: 10'), false, BODY_NONE, true],
    ['a HEAD response with a length', head('HTTP/1.1 200 OK', 'Content-Length: 10'), true, BODY_NONE, true],
    ['Connection: close', head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: close'), false, BODY_LENGTH, false],
    ['HTTP/1.0 without keep-alive', head('HTTP/1.0 200 OK', 'Content-Length: 1'), false, BODY_LENGTH, false],
    ['HTTP/1.0 with keep-alive', head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive'), false, BODY_LENGTH, true],
  ];
  for (const [name, h, isHead, kind, reusable] of framing) {
    it(`GIVEN ${name} WHEN parsed THEN the body framing and reuse are right`, () => {
      const r = parseResponseHead(h, isHead)!;
      assert.equal(r.bodyKind, kind);
      assert.equal(r.reusable, reusable);
    });
  }

  it('GIVEN an HTTP/1.0 status line WHEN parsed THEN the client gets it as HTTP/1.1', () => {
    assert.equal(parseResponseHead(head('HTTP/1.0 404 Not Found', 'Content-Length: 0'), false)!.kept, head('HTTP/1.1 404 Not Found', 'Content-Length: 0'));
  });

  it('GIVEN 101 Switching Protocols WHEN parsed THEN Connection and Upgrade are kept for the client', () => {
    const r = parseResponseHead(head('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'), false)!;
    assert.equal(r.kept, head('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'));
    assert.equal(r.reusable, false);
  });

  for (const [name, h] of [
    ['garbage', head('HELLO')],
    ['a bad status code', head('HTTP/1.1 999 Odd')],
    ['a malformed header', head('HTTP/1.1 200 OK', 'Bad Header: x')],
    ['conflicting lengths', head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 2')],
    ['both framings', head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Transfer-Encoding: chunked')],
  ] as const) {
    it(`GIVEN ${name} WHEN parsed THEN it is malformed (the client gets 502)`, () => {
      assert.equal(parseResponseHead(h, false), undefined);
    });
  }
});
