/**
 * The reference predictor: context tokens → frequency table, transcribing
 * docs/FORMAT.md section 2.2 step by step. Written for clarity, not speed;
 * every fast engine is checked bit-exact against it.
 *
 * One position is three steps, each its own method so that format v2 can put
 * a mixer between the network and the frequencies:
 *   logits(ctx)           network, FORMAT.md 2.2 steps 1-4 → z[0..A-1]
 *   mix(z)                mixing: identity in format v1
 *   frequenciesOf(z, f)   FORMAT.md 2.2 steps 5-7 → f (sum 2^16)
 * The inputs come from the context-model step (./context.ts).
 *
 * Arithmetic: all values are integers below 2^53, so JavaScript doubles hold
 * them exactly; products are bounded by the accumulator check done at load.
 */
import type { ModelTensors } from '../../model/types.js';
import { TokenContext } from './context.js';

export { fillContext } from './context.js';

export const PROB_BITS = 16;
export const PROB_TOTAL = 1 << PROB_BITS;
const TWO32 = 2 ** 32;

/** floor(a / b) for non-negative integers a < 2^53, b > 0, exact. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  // The double division may round up to the next integer; correct it.
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** floor((v·m + 2^(s-1)) / 2^s) for v·m ≥ 0: a rounding right shift (`pow` = 2^s). */
const requant = (v: number, m: number, pow: number): number => Math.floor((v * m + pow / 2) / pow);

/** Σ_i a[i]·w[row + i]: exact (integers below 2^53); unrolled because this is the hot loop. */
function dot(a: Float64Array, w: Float64Array, row: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * w[row + i];
    s1 += a[i + 1] * w[row + i + 1];
    s2 += a[i + 2] * w[row + i + 2];
    s3 += a[i + 3] * w[row + i + 3];
  }
  for (; i < n; i++) s0 += a[i] * w[row + i];
  return s0 + s1 + s2 + s3;
}

export class Predictor {
  readonly k: number;
  /** Alphabet size including the escape. */
  readonly A: number;
  readonly ESC: number;
  readonly PAD: number;
  /** token(b) for every byte value (FORMAT.md 1.3). */
  readonly tokenOf: Uint16Array;
  /** Byte value of symbol s (s < ESC). */
  tokenOfInverse(s: number): number {
    return this.t.alphabet[s];
  }

  /** Folded layer 0: F[(j·(A+1) + t)·H0 + h] = Σ_e emb[t][e]·W0[h][j·E+e]. */
  private readonly folded: Int32Array;
  private readonly t: ModelTensors;
  private readonly acts: Float64Array[];
  /** W_1..W_{L-1}, W_o as doubles: the same integers, multiplied faster by V8 (index 0 unused). */
  private readonly weights: Float64Array[];
  private readonly z: Float64Array;

  constructor(t: ModelTensors) {
    this.t = t;
    this.k = t.k;
    this.A = t.alphabet.length + 1;
    this.ESC = this.A - 1;
    this.PAD = this.A;
    this.tokenOf = new Uint16Array(256).fill(this.ESC);
    t.alphabet.forEach((b, s) => (this.tokenOf[b] = s));

    const { k, E } = t;
    const H0 = t.hidden[0].b.length;
    const W0 = t.hidden[0].w;
    const nIn = k * E;
    this.folded = new Int32Array(k * (this.A + 1) * H0);
    for (let j = 0; j < k; j++)
      for (let tok = 0; tok <= this.A; tok++)
        for (let h = 0; h < H0; h++) {
          let s = 0;
          for (let e = 0; e < E; e++) s += t.emb[tok * E + e] * W0[h * nIn + j * E + e];
          this.folded[(j * (this.A + 1) + tok) * H0 + h] = s;
        }
    this.acts = t.hidden.map((l) => new Float64Array(l.b.length));
    this.weights = [...t.hidden.map((l, i) => (i === 0 ? new Float64Array(0) : Float64Array.from(l.w))), Float64Array.from(t.wOut)];
    this.z = new Float64Array(this.A);
  }

  /** A fresh per-lane context model for this predictor (./context.ts). */
  newContext(): TokenContext {
    return new TokenContext(this);
  }

  /**
   * Frequencies for one position. `ctx[j]` is the token j+1 bytes back
   * (PAD before the lane start). Writes f[0..A-1] (sum 2^16, each ≥ 1).
   */
  frequencies(ctx: ArrayLike<number>, f: Uint32Array): void {
    this.frequenciesOf(this.mix(this.logits(ctx)), f);
  }

  /**
   * FORMAT.md 2.2 steps 1-4: the network's output accumulators z[s] for the
   * context tokens `ctx`. Returns scratch owned by the predictor, valid until
   * the next call.
   */
  logits(ctx: ArrayLike<number>): Float64Array {
    const t = this.t;
    const A = this.A;
    // Steps 1-2: layer 0 from the folded tables, then requantize + ReLU.
    const l0 = t.hidden[0];
    const H0 = l0.b.length;
    let a = this.acts[0];
    const pow0 = 2 ** l0.s;
    const F = this.folded;
    a.set(l0.b);
    for (let j = 0; j < this.k; j++) {
      const row = (j * (A + 1) + ctx[j]) * H0;
      for (let h = 0; h < H0; h++) a[h] += F[row + h];
    }
    for (let h = 0; h < H0; h++) {
      const acc = a[h];
      a[h] = acc <= 0 ? 0 : Math.min(255, requant(acc, l0.m[h], pow0));
    }
    // Step 3: hidden layers 1..L-1.
    for (let l = 1; l < t.hidden.length; l++) {
      const layer = t.hidden[l];
      const nIn = a.length;
      const out = this.acts[l];
      const w = this.weights[l];
      const pow = 2 ** layer.s;
      for (let h = 0; h < out.length; h++) {
        const acc = layer.b[h] + dot(a, w, h * nIn, nIn);
        out[h] = acc <= 0 ? 0 : Math.min(255, requant(acc, layer.m[h], pow));
      }
      a = out;
    }
    // Step 4: output accumulators.
    const nIn = a.length;
    const z = this.z;
    const wOut = this.weights[t.hidden.length];
    for (let s = 0; s < A; s++) {
      z[s] = t.bOut[s] + dot(a, wOut, s * nIn, nIn);
    }
    return z;
  }

  /**
   * Mixing: the step between the network's logits and the frequencies. Format
   * v1 has no mixer, so it is the identity; format v2 combines z with the
   * lane's adaptive experts here.
   */
  mix(z: Float64Array): Float64Array {
    return z;
  }

  /** FORMAT.md 2.2 steps 5-7: logits z[0..A-1] → frequencies f[0..A-1] (sum 2^16, each ≥ 1). */
  frequenciesOf(z: ArrayLike<number>, f: Uint32Array): void {
    const t = this.t;
    const A = this.A;
    // Step 5: the largest logit and the first symbol that has it.
    let zmax = -Infinity;
    let sStar = 0;
    for (let s = 0; s < A; s++) {
      if (z[s] > zmax) { zmax = z[s]; sStar = s; }
    }
    // Steps 5-6: distances and exponentials.
    const T = t.exp.length;
    const powOut = 2 ** t.sOut;
    let sum = 0;
    for (let s = 0; s < A; s++) {
      const d = Math.min(T - 1, requant(zmax - z[s], t.mOut, powOut));
      f[s] = t.exp[d];
      sum += f[s];
    }
    // Step 7: frequencies summing to 2^16, each at least 1.
    const avail = PROB_TOTAL - A;
    const R = floorDiv(avail * TWO32, sum);
    let total = 0;
    for (let s = 0; s < A; s++) {
      f[s] = 1 + Math.floor((f[s] * R) / TWO32);
      total += f[s];
    }
    f[sStar] += PROB_TOTAL - total;
  }
}
