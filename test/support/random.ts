/**
 * Seeded random models for tests: valid by construction (they pass the
 * loader's checks) and scaled so that activations and distributions are
 * neither all-zero nor one-hot, so the engines' arithmetic is exercised.
 */
import type { HiddenLayer, ModelTensors } from '../../src/model/types.js';

/** mulberry32: a tiny seeded PRNG; same seed → same model on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomModelOptions {
  k?: number;
  E?: number;
  hidden?: number[];
  /** Number of byte values in the alphabet (1..256); the rest escape. */
  alphabetBytes?: number;
  expLength?: number;
}

/** Exp table EXP[d] = round(65536 · exp(-d / scale)), EXP[0] = 65536. */
export function expTable(T: number, scale: number): Uint32Array {
  const e = new Uint32Array(T);
  for (let d = 0; d < T; d++) e[d] = Math.round(65536 * Math.exp(-d / scale));
  return e;
}

/** Smallest shift s with multiplier m ≤ 65535 such that m / 2^s ≈ ratio. */
export function multiplierFor(ratio: number): { m: number; s: number } {
  for (let s = 1; s <= 40; s++) {
    const m = Math.round(ratio * 2 ** s);
    if (m >= 16384 || s === 40) return { m: Math.min(65535, Math.max(1, m)), s };
  }
  return { m: 1, s: 40 };
}

export function randomModel(seed: number, o: RandomModelOptions = {}): ModelTensors {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const k = o.k ?? int(1, 8);
  const E = o.E ?? int(1, 8);
  const hidden = o.hidden ?? Array.from({ length: int(1, 3) }, () => int(1, 48));
  const nBytes = o.alphabetBytes ?? int(1, 256);
  // A random subset of byte values, sorted.
  const all = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 255; i > 0; i--) { const j = int(0, i); [all[i], all[j]] = [all[j], all[i]]; }
  const alphabet = Uint8Array.from(all.slice(0, nBytes).sort((a, b) => a - b));
  const A = nBytes + 1;
  const i8 = (n: number, amp: number) => Int8Array.from({ length: n }, () => int(-amp, amp));
  const emb = i8((A + 1) * E, 127);
  const layers: HiddenLayer[] = [];
  let nIn = k * E;
  let inStd = 73; // std of a uniform int8
  for (let l = 0; l < hidden.length; l++) {
    const H = hidden[l];
    const amp = int(8, 127);
    const w = i8(H * nIn, amp);
    const accStd = Math.sqrt(nIn) * (amp / Math.sqrt(3)) * inStd;
    const b = Int32Array.from({ length: H }, () => Math.round((r() - 0.4) * accStd));
    const { m, s } = multiplierFor(60 / Math.max(1, accStd));
    // Per-node multipliers vary around m so the per-node path is exercised.
    const mm = Uint16Array.from({ length: H }, () => Math.min(65535, Math.max(1, Math.round(m * (0.5 + r())))));
    layers.push({ w, b, m: mm, s });
    nIn = H;
    inStd = 50;
  }
  const amp = int(8, 127);
  const wOut = i8(A * nIn, amp);
  const accStd = Math.sqrt(nIn) * (amp / Math.sqrt(3)) * inStd;
  const bOut = Int32Array.from({ length: A }, () => Math.round((r() - 0.5) * accStd));
  const T = o.expLength ?? int(2, 600);
  const expScale = 1 + r() * 40;
  // Map an accumulator spread of ~3 std onto a few exp-scales of distance.
  const { m: mOut, s: sOut } = multiplierFor((expScale * (1 + r() * 4)) / Math.max(1, 3 * accStd));
  return { k, E, alphabet, emb, hidden: layers, wOut, bOut, mOut, sOut, exp: expTable(T, expScale) };
}
