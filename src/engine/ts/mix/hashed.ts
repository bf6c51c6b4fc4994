/**
 * Format v2 mixing stage, one hashed context kind: design note section 8.5.
 *
 * 2^HB buckets; a bucket serves one nibble (4 bits) of one context: a 16-bit
 * check, and for each of the nibble's 15 binary-tree nodes a counter (8.3)
 * and a bit history (u8: a leading 1, then the last ≤ 6 bits seen at this
 * node). The history is read through the kind's indirect map IMAP (128
 * counters): "what followed this history before, in this kind". So each kind
 * gives the mixer two inputs. Arithmetic: u32 keys (Math.imul, >>>).
 */
import { COUNTER_INIT, LIMIT_CONTEXT, LIMIT_SLOW, counterP12, counterUpdate } from './counter.js';
import { STRETCH, fmix32 } from './tables.js';

/** Slots per bucket: [0] = check, [1..15] = the nibble's nodes. */
const SLOTS = 16;

export class HashedKind {
  /** Bucket b's slot t at b·16 + t; slot 0 holds the check (0 at the start). */
  readonly counters: Uint32Array;
  /** The histories, same layout (slot 0 unused); 1 = empty. */
  readonly histories: Uint8Array;
  /** IMAP[h], h = 1..127. */
  readonly imap = new Uint32Array(128);
  /** Offset of the bucket selected for the current nibble. */
  private bucket = 0;
  /** The node used by the current bit. */
  private slot = 0;

  constructor(readonly hb: number) {
    this.counters = new Uint32Array(SLOTS << hb);
    this.histories = new Uint8Array(SLOTS << hb);
    this.reset();
  }

  reset(): void {
    this.counters.fill(COUNTER_INIT);
    for (let b = 0; b < this.counters.length; b += SLOTS) this.counters[b] = 0;
    this.histories.fill(1);
    this.imap.fill(COUNTER_INIT);
  }

  /**
   * At bit 0 and bit 4: select the bucket for `key` = fmix32(H_o ^ c0'·0x2545F491)
   * (c0' = 0 at bit 0, c0 at bit 4). Bucket i = key's top HB bits, or its
   * neighbour i ^ 1, whichever holds chk = key & 0xFFFF; if neither, the one
   * of the two whose node-1 counter has the lower count (i on a tie) is
   * cleared and takes the check.
   */
  select(hashO: number, c0AtNibble: number): void {
    const key = fmix32((hashO ^ Math.imul(c0AtNibble, 0x2545f491)) >>> 0);
    const i = key >>> (32 - this.hb);
    const chk = key & 0xffff;
    const t = this.counters;
    const b0 = i * SLOTS;
    const b1 = (i ^ 1) * SLOTS;
    if (t[b0] === chk) this.bucket = b0;
    else if (t[b1] === chk) this.bucket = b1;
    else {
      const v = (t[b1 + 1] & 1023) < (t[b0 + 1] & 1023) ? b1 : b0;
      t[v] = chk;
      t.fill(COUNTER_INIT, v + 1, v + SLOTS);
      this.histories.fill(1, v + 1, v + SLOTS);
      this.bucket = v;
    }
  }

  /**
   * The two mixer inputs at bit j with partial byte c0: stretch of the node's
   * counter, and stretch of IMAP[its history]. Node t = (1 << (j & 3)) | (c0's
   * last j & 3 bits), 1..15.
   */
  inputs(j: number, c0: number, x: Int32Array, k: number): void {
    const n = j & 3;
    this.slot = this.bucket + ((1 << n) | (c0 & ((1 << n) - 1)));
    x[k] = STRETCH[counterP12(this.counters[this.slot])];
    x[k + 1] = STRETCH[counterP12(this.imap[this.histories[this.slot]])];
  }

  /** After the bit y: the counter (limit 255), IMAP[h] (limit 1023), then the history takes y. */
  update(y: number): void {
    counterUpdate(this.counters, this.slot, y, LIMIT_CONTEXT);
    const h = this.histories[this.slot];
    counterUpdate(this.imap, h, y, LIMIT_SLOW);
    let g = (h << 1) | y;
    if (g >= 128) g = 64 | (g & 63); // keep the leading 1 and the last 6 bits
    this.histories[this.slot] = g;
  }
}
