/**
 * Float network → integer .nncm tensors (docs/FORMAT.md section 1.2).
 *
 * Scales: the embedding and every weight row are symmetric int8 (max |w| →
 * 127; rows of hidden layers get their own scale, folded into the per-node
 * multiplier M); activations are u8 with a calibrated scale per layer
 * (a = y / actScale, clamped to 0..255). The output layer shares one weight
 * scale, because one logit multiplier M_o serves every symbol. Logit
 * distances are counted in steps of `expStep` nats, and EXP[d] =
 * round(65536·e^(−d·expStep)).
 *
 * The trainer's fake-quant forward simulates this rule in float
 * (native/train/quant_rule.h); test/quant-rule.test.ts pins the two
 * together (they may differ only where w / s is within float rounding of a
 * .5 tie).
 */
import { ErrorCodes, NncError } from '../errors.js';
import type { HiddenLayer, ModelTensors } from '../model/types.js';

export interface FloatLayer {
  W: Float32Array;
  b: Float32Array;
}

export interface FloatModel {
  k: number;
  E: number;
  A: number;
  hidden: number[];
  alphabet: Uint8Array;
  emb: Float32Array; // (A+1) × E
  layers: FloatLayer[];
  out: FloatLayer; // A × H[L-1]
}

export interface QuantScales {
  embedScale: number;
  /** Per hidden layer: float value of one u8 activation step. */
  actScale: number[];
  /** Per hidden layer, per row; then the output layer's single scale. */
  weightScale: number[][];
}

export const DEFAULT_EXP_STEP = 1 / 64;

const maxAbs = (a: Float32Array, from = 0, to = a.length): number => {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
const q8 = (x: number): number => Math.max(-127, Math.min(127, Math.floor(x + 0.5)));

/** Scales for a float model given calibrated activation scales (the same rule the trainer's fake-quant uses). */
export function quantScales(f: FloatModel, actScale: number[]): QuantScales {
  const m = maxAbs(f.emb);
  const weightScale = f.layers.map((l, li) => {
    const n = li === 0 ? f.k * f.E : f.hidden[li - 1];
    return Array.from({ length: f.hidden[li] }, (_, h) => {
      const r = maxAbs(l.W, h * n, (h + 1) * n);
      return r > 0 ? r / 127 : 1;
    });
  });
  const mo = maxAbs(f.out.W);
  weightScale.push([mo > 0 ? mo / 127 : 1]);
  return { embedScale: m > 0 ? m / 127 : 1, actScale, weightScale };
}

/**
 * A u16 multiplier and shift with m / 2^s ≈ ratio for every ratio (shared
 * s): the largest s in 1..40 whose largest multiplier still fits u16, so the
 * ratios keep as many bits as they can (FORMAT.md 2.2 requantization).
 */
export function multipliers(ratios: number[]): { m: Uint16Array; s: number } {
  const max = Math.max(...ratios, 1e-30);
  let s = 1;
  while (s < 40 && Math.round(max * 2 ** (s + 1)) <= 65535) s++;
  const m = Uint16Array.from(ratios, (r) => Math.max(0, Math.min(65535, Math.round(r * 2 ** s))));
  return { m, s };
}

export function quantize(f: FloatModel, sc: QuantScales, expStep = DEFAULT_EXP_STEP): ModelTensors {
  const L = f.hidden.length;
  if (sc.actScale.length !== L) throw new NncError(ErrorCodes.INVALID_ARG, `Expected ${L} activation scales but received ${sc.actScale.length}`);
  const emb = Int8Array.from(f.emb, (v) => q8(v / sc.embedScale));
  const hidden: HiddenLayer[] = [];
  let sIn = sc.embedScale;
  let nIn = f.k * f.E;
  for (let l = 0; l < L; l++) {
    const H = f.hidden[l];
    const { W, b } = f.layers[l];
    const w = new Int8Array(H * nIn);
    const bq = new Int32Array(H);
    const ratios: number[] = [];
    for (let h = 0; h < H; h++) {
      const sw = sc.weightScale[l][h];
      let sumAbs = 0;
      for (let i = 0; i < nIn; i++) sumAbs += Math.abs((w[h * nIn + i] = q8(W[h * nIn + i] / sw)));
      bq[h] = clampBias(Math.floor(b[h] / (sIn * sw) + 0.5), (l === 0 ? 128 : 255) * sumAbs);
      ratios.push((sIn * sw) / sc.actScale[l]);
    }
    const { m, s } = multipliers(ratios);
    hidden.push({ w, b: bq, m, s });
    sIn = sc.actScale[l];
    nIn = H;
  }
  const so = sc.weightScale[L][0];
  const wOut = Int8Array.from(f.out.W, (v) => q8(v / so));
  const nLast = f.hidden[L - 1];
  const bOut = Int32Array.from(f.out.b, (v, s) => {
    let sumAbs = 0;
    for (let i = 0; i < nLast; i++) sumAbs += Math.abs(wOut[s * nLast + i]);
    return clampBias(Math.floor(v / (sIn * so) + 0.5), 255 * sumAbs);
  });
  // Distance of one accumulator unit, in exp-table steps.
  const { m: mo, s: sOut } = multipliers([(sIn * so) / expStep]);
  const exp: number[] = [];
  for (let d = 0; d < 4096; d++) {
    const e = Math.round(65536 * Math.exp(-d * expStep));
    exp.push(e);
    if (e === 0) break;
  }
  return {
    k: f.k, E: f.E, alphabet: f.alphabet, emb, hidden,
    wOut, bOut, mOut: Math.max(1, mo[0]), sOut, exp: Uint32Array.from(exp),
  };
}

/** Keep |b| within the accumulator bound of FORMAT.md 1.2 given the row's worst-case input sum. */
const clampBias = (v: number, worst: number): number => {
  const lim = 2 ** 31 - 1 - worst;
  return Math.max(-lim, Math.min(lim, v));
};
