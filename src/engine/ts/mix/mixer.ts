/**
 * Format v2 mixing stage, one mixer: design note section 8.8.
 *
 * A gated linear network in the stretch domain: the inputs x_i (stretch
 * units, |x_i| ≤ 2047) are weighted by one of `sets` weight vectors, chosen
 * per bit by a small context, and the sum is squashed. Weights are int32 with
 * 16 fractional bits (2^16 = 1.0), kept in [−2^20, 2^20].
 *
 * Arithmetic: the dot product Σ w_i·x_i is below 28·2^20·2047 < 2^36 in
 * magnitude, exact in a double (C++: int64); `floor(dot / 2^16)` is the
 * C++ arithmetic shift. The update's x_i·e is below 2^26: int32.
 */
import { squash } from './tables.js';

/** The mixer learning rate: e = (y·4096 − p)·LEARNING_RATE. */
export const LEARNING_RATE = 8;

export class Mixer {
  /** sets × n weights, set-major. */
  readonly w: Int32Array;
  /** Offset of the weight set chosen by the last predict(). */
  private base = 0;
  /** The last prediction: s in stretch units (clamped), p = squash(s). */
  s = 0;
  p = 2048;

  /** `init[i]`: every set's initial weight of input i. */
  constructor(
    readonly n: number,
    readonly sets: number,
    private readonly init: readonly number[],
  ) {
    this.w = new Int32Array(n * sets);
    this.reset();
  }

  /** Every set back to the initial weights. */
  reset(): void {
    for (let k = 0; k < this.sets; k++) for (let i = 0; i < this.n; i++) this.w[k * this.n + i] = this.init[i];
  }

  /** p = squash(clamp(floor(Σ w_i·x_i / 2^16), −2047, 2047)) with weight set `set`; also sets this.s. */
  predict(x: Int32Array, set: number): number {
    const w = this.w;
    const b = (this.base = set * this.n);
    let dot = 0;
    for (let i = 0; i < this.n; i++) dot += w[b + i] * x[i]; // exact: |dot| < 2^36
    const t = Math.floor(dot / 65536);
    this.s = t < -2047 ? -2047 : t > 2047 ? 2047 : t;
    this.p = squash(this.s);
    return this.p;
  }

  /** After the bit y: w_i += (x_i·e + 2^13) >> 14 with e = (y·4096 − p)·8, clamped to ±2^20. */
  update(x: Int32Array, y: number): void {
    const w = this.w;
    const b = this.base;
    const e = ((y << 12) - this.p) * LEARNING_RATE;
    for (let i = 0; i < this.n; i++) {
      const v = w[b + i] + ((x[i] * e + (1 << 13)) >> 14);
      w[b + i] = v < -(1 << 20) ? -(1 << 20) : v > 1 << 20 ? 1 << 20 : v;
    }
  }
}
