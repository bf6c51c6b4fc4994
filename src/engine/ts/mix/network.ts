/**
 * Format v2 mixing stage, the network input: design note section 8.7.
 *
 * The network predicts a whole byte (frequencies over its alphabet, FORMAT.md
 * 2.2 step 7, sum 2^16); the stage codes bits. Spread over all 256 byte
 * values (each byte outside the alphabet gets the escape's frequency; the
 * others are scaled by nOut so the total is 2^16·nOut ≤ 2^24), the masses
 * are summed up the binary tree of byte values, and at each bit the
 * probability of a 1 is the mass of the 1-child over the node's mass.
 * Arithmetic: masses below 2^24; m1·4096 < 2^36, and floor of the double
 * quotient is exact (a non-integer quotient is ≥ 2^-25 from an integer).
 */

export class NetworkBits {
  /** m[node]: leaves 256..511 are the byte values, m[node] = m[2·node] + m[2·node + 1]. */
  private readonly m = new Float64Array(512);
  private readonly nOut: number;

  /** tokenOf[b] and ESC as in FORMAT.md 1.3 (the predictor's alphabet). */
  constructor(
    private readonly tokenOf: Uint16Array,
    private readonly ESC: number,
  ) {
    const out = 256 - ESC; // 256 − (A − 1): bytes outside the alphabet
    this.nOut = out > 0 ? out : 1;
  }

  /** Load the frequencies f[0..A-1] of the byte about to be coded. */
  load(f: ArrayLike<number>): void {
    const m = this.m;
    for (let v = 0; v < 256; v++) {
      const t = this.tokenOf[v];
      m[256 + v] = t === this.ESC ? f[this.ESC] : f[t] * this.nOut;
    }
    for (let v = 255; v >= 1; v--) m[v] = m[2 * v] + m[2 * v + 1];
  }

  /** pn = clamp(floor(m[2·c0 + 1]·4096 / m[c0]), 1, 4095) at the node c0 (1..255). */
  p(c0: number): number {
    const p = Math.floor((this.m[2 * c0 + 1] * 4096) / this.m[c0]);
    return p < 1 ? 1 : p > 4095 ? 4095 : p;
  }
}

/** The network's confidence bucket nb = (max(pn, 4096 − pn) − 2048) >> 8, 0..7. */
export const confidenceBucket = (pn: number): number => ((pn >= 2048 ? pn : 4096 - pn) - 2048) >> 8;
