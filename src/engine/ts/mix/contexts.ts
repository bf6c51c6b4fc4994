/**
 * Format v2 mixing stage, byte-boundary contexts: design note section 8.4.
 *
 * After every byte the stage moves its history registers (the last 8 bytes,
 * the current and previous word hash, the record length) and, before the
 * next byte, hashes one 32-bit context H_o per enabled hashed kind.
 * Arithmetic: u32 (Math.imul, `>>> 0`); positions are below 2^32.
 */
import { fmix32, mulU32 } from './tables.js';

/** The hashed context kinds in their fixed order (mixer inputs follow it), with their number o. */
export const KINDS = [
  ['o2', 2],
  ['o3', 3],
  ['o4', 4],
  ['o6', 6],
  ['w', 0],
  ['o5', 5],
  ['o8', 8],
  ['s2', 10],
  ['s3', 11],
  ['s34', 12],
  ['r1', 20],
  ['r2', 21],
] as const;
export type KindName = (typeof KINDS)[number][0];

export class ByteContexts {
  /** The last 4 bytes, the newest in bits 7..0; c8: the 4 before them. */
  c4 = 0;
  c8 = 0;
  /** Hash of the current word (letters, case folded), 0 outside a word; prevWord: the last finished one. */
  word = 0;
  prevWord = 0;
  /** Record length (0: none found yet), with the candidate and its votes. */
  rlen = 0;
  private rcand = 0;
  private rcount = 0;
  /** CP[k·256 + b]: (index + 1) of the (k+1)-th last occurrence of byte b, 0 if none. */
  private readonly cp = new Uint32Array(4 * 256);

  reset(): void {
    this.c4 = this.c8 = this.word = this.prevWord = 0;
    this.rlen = this.rcand = this.rcount = 0;
    this.cp.fill(0);
  }

  /** After byte b, the cur-th byte of the lane (cur = bytes seen, b included). */
  push(b: number, cur: number): void {
    this.c8 = ((this.c8 << 8) | (this.c4 >>> 24)) >>> 0;
    this.c4 = ((this.c4 << 8) | b) >>> 0;
    const l = b >= 0x41 && b <= 0x5a ? b + 32 : b; // ASCII A–Z lowered
    if (l >= 0x61 && l <= 0x7a) {
      this.word = mulU32(this.word ^ l, 0x01000193);
      if (this.word === 0) this.word = 1;
    } else if (this.word !== 0) {
      this.prevWord = this.word;
      this.word = 0;
    }
    // Record length (paq8's record model, simplified): a distance r seen 4
    // times in a row between occurrences of one byte value is a vote for r;
    // 16 consecutive votes for the same r make it the record length.
    const cp = this.cp;
    const p0 = cp[b];
    const r = (cur - p0) >>> 0;
    if (p0 !== 0 && r > 1 && r === p0 - cp[256 + b] && r === cp[256 + b] - cp[512 + b] && r === cp[512 + b] - cp[768 + b]) {
      if (r === this.rcand) {
        this.rcount++;
        if (this.rcount >= 16 && this.rlen !== r) this.rlen = r;
      } else {
        this.rcand = r;
        this.rcount = 1;
      }
    }
    cp[768 + b] = cp[512 + b];
    cp[512 + b] = cp[256 + b];
    cp[256 + b] = p0;
    cp[b] = cur;
  }

  /**
   * H_o of kind o before the byte at index `pos` of the lane `buf`:
   * fmix32(lo·0x9E3779B1 ^ fmix32(hi + o·0x01000193 + 1)) with (lo, hi) from the table of 8.4.
   */
  hash(o: number, buf: Uint8Array, pos: number): number {
    const c4 = this.c4;
    const c8 = this.c8;
    const c1 = c4 & 255;
    const rlen = this.rlen;
    // at(d): the byte d back, once a record length is known (0 before the lane start or without one).
    const at = (d: number): number => (rlen !== 0 && pos >= d ? buf[pos - d] : 0);
    let lo: number;
    let hi = 0;
    switch (o) {
      case 2: lo = c4 & 0xffff; break;
      case 3: lo = c4 & 0xffffff; break;
      case 4: lo = c4; break;
      case 6: lo = c4; hi = c8 & 0xffff; break;
      case 0: lo = this.word !== 0 ? this.word : (this.prevWord ^ (c1 << 24) ^ 0x5bd1e995) >>> 0; hi = 0x77; break;
      case 5: lo = c4; hi = c8 & 0xff; break;
      case 8: lo = c4; hi = c8; break;
      case 10: lo = c4 & 0xff00; break;
      case 11: lo = c4 & 0xff0000; break;
      case 12: lo = (c4 & 0xffff0000) >>> 0; break;
      case 20: lo = at(rlen) | (c1 << 8); hi = rlen; break;
      case 21: lo = at(rlen + 1) | (at(rlen) << 8) | ((rlen > 1 ? at(rlen - 1) : 0) << 16); hi = rlen; break;
      default: throw new RangeError(`no hashed context kind ${o}`);
    }
    return fmix32((mulU32(lo, 0x9e3779b1) ^ fmix32((hi + mulU32(o, 0x01000193) + 1) >>> 0)) >>> 0);
  }
}
