/**
 * Finds where a chunked body ends without decoding it: the proxy forwards the bytes as they are,
 * and only needs to know where the message stops so the next one on the connection starts right.
 * Strict (CRLF only, bounded sizes), since a framing disagreement between two hops is how requests
 * get smuggled.
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-7.1
 */

// Scanner states (plain numbers: the switch stays a jump table).
const SIZE_START = 0;
const SIZE = 1;
const EXT = 2;
const SIZE_LF = 3;
const DATA = 4;
const DATA_CR = 5;
const DATA_LF = 6;
const TRAILER_START = 7;
const TRAILER_LINE = 8;
const TRAILER_LINE_LF = 9;
const TRAILER_END_LF = 10;
const DONE = 11;

/** Returned by scan() when more bytes are needed. */
export const CHUNKED_MORE = -1;
/** Returned by scan() when the framing is broken. */
export const CHUNKED_ERROR = -2;

// 13 hex digits keep the size exact in a double (2^52).
const MAX_SIZE_DIGITS = 13;
const MAX_EXT_BYTES = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class ChunkedScanner {
  private s = SIZE_START;
  private size = 0;
  private digits = 0;
  private extra = 0;

  reset(): void {
    this.s = SIZE_START;
    this.size = 0;
    this.digits = 0;
    this.extra = 0;
  }

  /**
   * Reads `buf` from `start`; returns the offset just past the body's end, CHUNKED_MORE when every
   * byte belonged to the body and more are needed, or CHUNKED_ERROR.
   */
  scan(buf: Uint8Array, start: number): number {
    let i = start;
    const end = buf.length;
    while (i < end) {
      switch (this.s) {
        case DATA: {
          const take = Math.min(this.size, end - i);
          i += take;
          this.size -= take;
          if (this.size === 0) this.s = DATA_CR;
          continue;
        }
        case SIZE_START:
        case SIZE: {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) return CHUNKED_ERROR;
            this.size = this.size * 16 + v;
            this.s = SIZE;
          } else if (this.s === SIZE_START) {
            return CHUNKED_ERROR;
          } else if (c === 0x0d) {
            this.s = SIZE_LF;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.s = EXT;
            this.extra = 0;
          } else {
            return CHUNKED_ERROR;
          }
          break;
        }
        case EXT: {
          const c = buf[i]!;
          if (c === 0x0d) this.s = SIZE_LF;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f || ++this.extra > MAX_EXT_BYTES) return CHUNKED_ERROR;
          break;
        }
        case SIZE_LF: {
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          this.digits = 0;
          if (this.size === 0) {
            this.s = TRAILER_START;
            this.extra = 0;
          } else {
            this.s = DATA;
          }
          break;
        }
        case DATA_CR:
          if (buf[i] !== 0x0d) return CHUNKED_ERROR;
          this.s = DATA_LF;
          break;
        case DATA_LF:
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          this.s = SIZE_START;
          this.size = 0;
          break;
        case TRAILER_START:
          if (buf[i] === 0x0d) this.s = TRAILER_END_LF;
          else this.s = TRAILER_LINE;
          if (++this.extra > MAX_TRAILER_BYTES) return CHUNKED_ERROR;
          break;
        case TRAILER_LINE: {
          const c = buf[i]!;
          if (c === 0x0d) this.s = TRAILER_LINE_LF;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return CHUNKED_ERROR;
          if (++this.extra > MAX_TRAILER_BYTES) return CHUNKED_ERROR;
          break;
        }
        case TRAILER_LINE_LF:
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          this.s = TRAILER_START;
          break;
        case TRAILER_END_LF:
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          this.s = DONE;
          return i + 1;
        case DONE:
          return i;
      }
      i++;
    }
    return this.s === DONE ? i : CHUNKED_MORE;
  }
}
