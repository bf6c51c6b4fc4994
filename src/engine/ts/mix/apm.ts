/**
 * Format v2 mixing stage, APM/SSE: design note section 8.9.
 *
 * An adaptive probability map refines a probability p given a context c:
 * per context, 33 u16 points over stretch(p) (every 128 stretch units, in
 * 1/65536), interpolated linearly. Only the nearer of the two points moves
 * after the bit (rate 2^-7). Arithmetic: int32 (u16·128 < 2^23).
 */
import { STRETCH, squash } from './tables.js';

/** APM update rate: t += (target − t) >> APM_RATE. */
export const APM_RATE = 7;

export class Apm {
  readonly t: Uint16Array;
  /** The point chosen by the last refine(), updated by update(). */
  private k = 0;

  constructor(readonly contexts: number) {
    this.t = new Uint16Array(contexts * 33);
    this.reset();
  }

  /** t[c][k] = squash((k − 16)·128)·16: the identity map. */
  reset(): void {
    for (let k = 0; k < 33; k++) this.t[k] = squash((k - 16) * 128) * 16;
    for (let c = 1; c < this.contexts; c++) this.t.copyWithin(c * 33, 0, 33);
  }

  /** apm(p, c): the refined probability, 1..4095. */
  refine(p: number, c: number): number {
    const s = STRETCH[p] + 2048; // 1..4095
    const lo = s >> 7; // 0..31
    const w = s & 127;
    const base = c * 33 + lo;
    this.k = base + (w >> 6); // the nearer point: lo, or lo + 1 when w ≥ 64
    const r = (this.t[base] * (128 - w) + this.t[base + 1] * w) >> 11;
    return r < 1 ? 1 : r > 4095 ? 4095 : r;
  }

  /** After the bit y: the nearer point moves 1/128 of the way to 65535·y. */
  update(y: number): void {
    const v = this.t[this.k];
    this.t[this.k] = v + (((y ? 65535 : 0) - v) >> APM_RATE);
  }
}
