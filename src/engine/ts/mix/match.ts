/**
 * Format v2 mixing stage, the match model: design note section 8.6.
 *
 * After each byte, the last 6 bytes are hashed into a table MT of positions.
 * When no match is active and MT holds an earlier position whose preceding
 * bytes agree (at least 6 of the up to 32 checked), the byte after it is
 * predicted, bit by bit, with a confidence learned per (length bucket,
 * expected bit) in 64 counters. A wrong bit ends the match until the next
 * byte boundary. Arithmetic: u32 (Math.imul, >>>); positions below 2^32.
 */
import { COUNTER_INIT, LIMIT_SLOW, counterP12, counterUpdate } from './counter.js';
import { STRETCH, fmix32, mulU32 } from './tables.js';

/** Minimum verified length for a match to start; bytes checked at most. */
const MIN_LEN = 6;
const MAX_VERIFY = 32;

export class MatchModel {
  /** MT[h]: bytes seen (= index + 1 of the last byte) when the 6-byte hash h was last stored; 0 = none. */
  readonly mt: Uint32Array;
  /** MS[2·bucket + expected bit]. */
  readonly ms = new Uint32Array(64);
  /** Index in the lane of the predicted byte, and the match length (0: no match). */
  ptr = 0;
  len = 0;
  /** The predicted byte, or −1 (no match, or a miss in this byte). */
  private expected = -1;
  /** The counter used by the current bit, and the expected bit (−1: none). */
  private mctx = 0;
  eb = -1;

  constructor(readonly mb: number) {
    this.mt = new Uint32Array(1 << mb);
    this.reset();
  }

  reset(): void {
    this.mt.fill(0);
    this.ms.fill(COUNTER_INIT);
    this.ptr = this.len = 0;
    this.expected = -1;
    this.eb = -1;
  }

  /** At the start of a byte of the lane `buf`. */
  beginByte(buf: Uint8Array): void {
    this.expected = this.len > 0 ? buf[this.ptr] : -1;
  }

  /** The mixer input at bit j (0 when there is no expected bit). Sets this.eb. */
  input(j: number): number {
    if (this.expected < 0 || this.len === 0) {
      this.eb = -1;
      return 0;
    }
    this.eb = (this.expected >> (7 - j)) & 1;
    const len = this.len;
    const bucket = len < 16 ? len : Math.min(31, 15 + (len >> 4));
    this.mctx = 2 * bucket + this.eb;
    return STRETCH[counterP12(this.ms[this.mctx])];
  }

  /** After the bit y. */
  update(y: number): void {
    if (this.eb < 0) return;
    counterUpdate(this.ms, this.mctx, y, LIMIT_SLOW);
    if (this.eb !== y) {
      this.len = 0;
      this.expected = -1;
    }
  }

  /** After the byte: cur = bytes of the lane seen (buf[0..cur)), c4/c8 already holding it. */
  endByte(buf: Uint8Array, cur: number, c4: number, c8: number): void {
    if (this.len > 0) {
      this.ptr++;
      if (this.len < 65535) this.len++;
    }
    if (cur < MIN_LEN) return;
    const h = fmix32((mulU32(c4, 0x9e3779b1) ^ (c8 & 0xffff)) >>> 0) >>> (32 - this.mb);
    if (this.len === 0) {
      const cand = this.mt[h];
      if (cand > 0) {
        let L = 0;
        while (L < MAX_VERIFY && L < cand && buf[cand - 1 - L] === buf[cur - 1 - L]) L++;
        if (L >= MIN_LEN) {
          this.len = L;
          this.ptr = cand;
        }
      }
    }
    this.mt[h] = cur;
  }
}
