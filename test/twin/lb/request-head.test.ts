import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, parseRequestHead, type RequestHead } from '../../../src/twin/lb/request-head.ts';

/** A head as the connection hands it over: lines joined with CRLF, each ending in CRLF, no blank line. */
const head = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('');

function ok(h: string): RequestHead {
  const r = parseRequestHead(h);
  assert.equal(typeof r, 'object', `refused with ${String(r)}`);
  return r as RequestHead;
}

describe('parseRequestHead', () => {
  it('GIVEN a plain GET WHEN parsed THEN method, target, host and keep-alive are read and every header kept', () => {
    const r = ok(head('GET /a?b=1 HTTP/1.1', 'Host: example.com', 'Accept: */*'));
    assert.equal(r.method, 'GET');
    assert.equal(r.target, '/a?b=1');
    assert.equal(r.minor, 1);
    assert.equal(r.host, 'example.com');
    assert.equal(r.keepAlive, true);
    assert.equal(r.bodyKind, BODY_NONE);
    assert.equal(r.kept, head('GET /a?b=1 HTTP/1.1', 'Host: example.com', 'Accept: */*'));
  });

  it('GIVEN hop-by-hop and X-Forwarded-* headers WHEN parsed THEN they are dropped and the client XFF is remembered', () => {
    const r = ok(head('GET / HTTP/1.1', 'Host: h', 'Connection: keep-alive', 'Keep-Alive: timeout=5', 'X-Forwarded-For: 203.0.113.7', 'x-forwarded-proto: https', 'X-Forwarded-Port: 1', 'TE: trailers', 'Proxy-Connection: x', 'X-Keep: yes'));
    assert.equal(r.kept, head('GET / HTTP/1.1', 'Host: h', 'X-Keep: yes'));
    assert.equal(r.forwardedFor, '203.0.113.7');
  });

  it('GIVEN two X-Forwarded-For headers WHEN parsed THEN they are joined in order', () => {
    assert.equal(ok(head('GET / HTTP/1.1', 'Host: h', 'X-Forwarded-For: 1.1.1.1', 'X-Forwarded-For: 2.2.2.2')).forwardedFor, '1.1.1.1, 2.2.2.2');
  });

  it('GIVEN Content-Length WHEN parsed THEN the body has that length; 0 means no body', () => {
    const r = ok(head('POST / HTTP/1.1', 'Host: h', 'Content-Length: 42'));
    assert.equal(r.bodyKind, BODY_LENGTH);
    assert.equal(r.contentLength, 42);
    assert.equal(ok(head('POST / HTTP/1.1', 'Host: h', 'Content-Length: 0')).bodyKind, BODY_NONE);
  });

  it('GIVEN Transfer-Encoding: chunked WHEN parsed THEN the body is chunked and the header kept', () => {
    const r = ok(head('POST / HTTP/1.1', 'Host: h', 'Transfer-Encoding: Chunked'));
    assert.equal(r.bodyKind, BODY_CHUNKED);
    assert.match(r.kept, /Transfer-Encoding: Chunked/);
  });

  it('GIVEN HTTP/1.0 WHEN parsed THEN keep-alive needs asking for, and Host is optional', () => {
    assert.equal(ok(head('GET / HTTP/1.0')).keepAlive, false);
    assert.equal(ok(head('GET / HTTP/1.0', 'Connection: Keep-Alive')).keepAlive, true);
    assert.equal(ok(head('GET / HTTP/1.1', 'Host: h', 'Connection: close')).keepAlive, false);
    assert.equal(ok(head('GET / HTTP/1.1', 'Host: h', 'Connection: foo, close')).keepAlive, false);
  });

  it('GIVEN a WebSocket upgrade WHEN parsed THEN the upgrade is recognised', () => {
    assert.equal(ok(head('GET /ws HTTP/1.1', 'Host: h', 'Connection: Upgrade', 'Upgrade: websocket')).upgrade, 'websocket');
    assert.equal(ok(head('GET /ws HTTP/1.1', 'Host: h', 'Upgrade: websocket')).upgrade, undefined, 'Upgrade without Connection: upgrade is ignored');
  });

  const refused: [string, string, number][] = [
    ['a garbage request line', head('GARBAGE'), 400],
    ['a space before the colon', head('GET / HTTP/1.1', 'Host : h'), 400],
    ['an obs-fold continuation line', head('GET / HTTP/1.1', 'Host: h', 'X-A: 1', ' continued'), 400],
    ['a NUL in a value', head('GET / HTTP/1.1', 'Host: h', 'X-A: a\u0000b'), 400],
    ['a bare LF inside a value', head('GET / HTTP/1.1', 'Host: h', 'X-A: a\nb'), 400],
    ['a missing Host on HTTP/1.1', head('GET / HTTP/1.1'), 400],
    ['two Host headers', head('GET / HTTP/1.1', 'Host: a', 'Host: b'), 400],
    ['Content-Length and Transfer-Encoding together', head('POST / HTTP/1.1', 'Host: h', 'Content-Length: 3', 'Transfer-Encoding: chunked'), 400],
    ['two Content-Length headers', head('POST / HTTP/1.1', 'Host: h', 'Content-Length: 3', 'Content-Length: 3'), 400],
    ['a non-numeric Content-Length', head('POST / HTTP/1.1', 'Host: h', 'Content-Length: -1'), 400],
    ['chunked on HTTP/1.0', head('POST / HTTP/1.0', 'Transfer-Encoding: chunked'), 400],
    ['an unsupported Transfer-Encoding', head('POST / HTTP/1.1', 'Host: h', 'Transfer-Encoding: gzip, chunked'), 501],
    ['HTTP/2.0', head('GET / HTTP/2.0', 'Host: h'), 505],
    ['the HTTP/2 preface', head('PRI * HTTP/2.0'), 505],
    ['a request line over 16 KiB', head(`GET /${'a'.repeat(17 * 1024)} HTTP/1.1`, 'Host: h'), 414],
    ['one header over 16 KiB', head('GET / HTTP/1.1', 'Host: h', `X-Big: ${'a'.repeat(17 * 1024)}`), 400],
  ];
  for (const [name, h, status] of refused) {
    it(`GIVEN ${name} WHEN parsed THEN it is refused with ${status}`, () => {
      assert.equal(parseRequestHead(h), status);
    });
  }
});
