/**
 * A model fitted in closed form from byte statistics (no training loop),
 * mapped exactly into the network format of docs/FORMAT.md. It stands in for
 * a trained model until the trainer exists: its distributions are a smoothed
 * order-1 model (previous byte) refined by order-2 corrections for the most
 * informative (previous, second previous) byte pairs.
 *
 * Construction (k = 16, E = 8, L = 2, H = [128, 128]):
 *
 * - Alphabet: the byte values seen in the samples (at most H1 - 1 of them,
 *   most frequent first); the rest escape.
 * - Embedding: token t (0..A, PAD included) is its index written as an 8-bit
 *   code with digits ±127.
 * - Layer 0 (context detectors): node h matches one exact context, either
 *   "previous token = c1" (weights ±1 = the code of c1 at position j = 0) or
 *   "previous token = c1 and the one before = c2" (codes at j = 0 and 1).
 *   With bias -(bits - 1)·127 the accumulator is +127 on a match and ≤ -127
 *   otherwise, so a detector outputs 255 or 0. Positions j ≥ 2 have zero
 *   weights. At most one order-1 and one order-2 detector fire.
 * - Layer 1 (one node per symbol s): its activation is the symbol's logit
 *   in units of `u` nats, offset so that the most likely symbol sits near
 *   255: a1[s] = clamp(B + log P(s | context) / u, 0, 255). The bias holds
 *   the logits of the fallback distribution (contexts without a detector),
 *   the weight from an order-1 detector holds log P(s|c1) - log P_base(s),
 *   and the weight from an order-2 detector holds the rest of
 *   log P(s|c1,c2), so the terms telescope to the wanted logit (each int8
 *   weight is in steps of σ units; the order-2 weight absorbs the rounding
 *   of the order-1 one).
 * - Output: W_o is the identity (node s → symbol s), b_o = 0, M_o/2^S_o = 1,
 *   so d[s] = a1[s*] - a1[s], and EXP[d] = round(65536·exp(-d·u)), T = 256.
 *
 * Probabilities are smoothed by interpolation with the parent distribution
 * (order-2 → order-1 → order-0 → uniform), Dirichlet style.
 */
import type { HiddenLayer, ModelTensors } from '../src/model/types.js';
import { expTable } from '../test/support/random.js';

export interface ClosedFormOptions {
  /** Context length k (only positions 0 and 1 are used). Default 16. */
  k?: number;
  /** Width of both hidden layers; also the maximum alphabet size A. Default 128. */
  hidden?: number;
  /** Number of order-1 detectors; the rest of layer 0 are order-2 detectors. Default: chosen by training gain. */
  order1Contexts?: number;
  /** Number of skip detectors (token two back, additive with weight λ). Default 0. */
  skipContexts?: number;
  /** Weight λ of the skip log-ratios; default: chosen by grid search on the samples. */
  skipWeight?: number;
  /** Dirichlet weight of the order-0 prior in the order-1 estimates. Default 4. */
  alpha?: number;
  /** Dirichlet weight of the order-1 prior in the order-2 estimates. Default 8. */
  beta?: number;
  /** Minimum count of an order-2 context to get a detector. Default 64. */
  minPairCount?: number;
  /** Logit unit u in nats per layer-1 activation step. Default 1/16. */
  logitUnit?: number;
  /** Layer-1 int8 weight step σ in activation units (integer). Default 2. */
  weightStep?: number;
}

export interface ClosedFormStats {
  bytes: number;
  /** Alphabet size including the escape. */
  A: number;
  order1Contexts: number;
  /** Detectors of the token two back alone, added to the order-1 logits with weight skipWeight. */
  skipContexts: number;
  skipWeight: number;
  order2Contexts: number;
  /** Empirical (unsmoothed) order-0 / order-1 / order-2 entropies of the samples, bits per byte. */
  order0Entropy: number;
  order1Entropy: number;
  order2Entropy: number;
  /** Cross-entropy of the float (unquantized) model on the samples, bits per byte (escapes +8). */
  modelTrainBits: number;
  /** Weights that had to be clipped to int8. */
  clipped: number;
}

export interface ClosedFormResult {
  tensors: ModelTensors;
  stats: ClosedFormStats;
}

const LN2 = Math.log(2);

export function fitClosedForm(samples: Uint8Array[], opts: ClosedFormOptions = {}): ClosedFormResult {
  const k = opts.k ?? 16;
  const H = opts.hidden ?? 128;
  const alpha = opts.alpha ?? 4;
  const beta = opts.beta ?? 8;
  const minPair = opts.minPairCount ?? 64;
  const u = opts.logitUnit ?? 1 / 16;
  const sigma = opts.weightStep ?? 2;
  if (k < 2 || k > 64) throw new RangeError(`k must be 2..64, got ${k}`);
  if (H < 2 || H > 4096) throw new RangeError(`hidden must be 2..4096, got ${H}`);
  if (!Number.isInteger(sigma) || sigma < 1 || sigma > 255) throw new RangeError(`weightStep must be an integer 1..255`);

  // --- Alphabet: byte values seen, at most H - 1 (and 255) of them, most frequent first.
  const byteCount = new Float64Array(256);
  let nBytes = 0;
  for (const s of samples) {
    for (let i = 0; i < s.length; i++) byteCount[s[i]]++;
    nBytes += s.length;
  }
  const seen = [...Array(256).keys()].filter((b) => byteCount[b] > 0).sort((a, b) => byteCount[b] - byteCount[a] || a - b);
  const maxBytes = Math.min(H - 1, 255, 254); // token codes must fit 8 bits: A + 1 ≤ 256 tokens
  // Degenerate input (nothing seen): a one-byte alphabet, everything else escapes.
  const alphabet = Uint8Array.from(seen.length ? seen.slice(0, maxBytes).sort((a, b) => a - b) : [0x20]);
  const A = alphabet.length + 1;
  const ESC = A - 1;
  const PAD = A;
  const V = A + 1; // tokens
  const tok = new Uint16Array(256).fill(ESC);
  alphabet.forEach((b, s) => (tok[b] = s));

  // --- Counts N3[(c1·V + c2)·A + s]: c1 = previous token, c2 = the one before.
  const N3 = new Float64Array(V * V * A);
  for (const smp of samples) {
    let c1 = PAD, c2 = PAD;
    for (let i = 0; i < smp.length; i++) {
      const s = tok[smp[i]];
      N3[(c1 * V + c2) * A + s]++;
      c2 = c1;
      c1 = s;
    }
  }
  const N2 = new Float64Array(V * A); // [c1][s]
  const N2c = new Float64Array(V * V); // [c1][c2] totals
  const N1 = new Float64Array(A);
  for (let c1 = 0; c1 < V; c1++)
    for (let c2 = 0; c2 < V; c2++) {
      const o = (c1 * V + c2) * A;
      let t = 0;
      for (let s = 0; s < A; s++) { const n = N3[o + s]; N2[c1 * A + s] += n; N1[s] += n; t += n; }
      N2c[c1 * V + c2] = t;
    }
  const N2t = new Float64Array(V);
  for (let c1 = 0; c1 < V; c1++) for (let s = 0; s < A; s++) N2t[c1] += N2[c1 * A + s];

  // Empirical entropies (bits per coded byte, escapes not counted as +8 here).
  const entropyOf = (counts: Float64Array, groups: number): number => {
    let h = 0;
    for (let g = 0; g < groups; g++) {
      let t = 0;
      for (let s = 0; s < A; s++) t += counts[g * A + s];
      if (t === 0) continue;
      for (let s = 0; s < A; s++) { const n = counts[g * A + s]; if (n > 0) h -= n * Math.log2(n / t); }
    }
    return nBytes > 0 ? h / nBytes : 0;
  };
  const order0Entropy = entropyOf(N1, 1);
  const order1Entropy = entropyOf(N2, V);
  const order2Entropy = entropyOf(N3, V * V);

  // --- Smoothed distributions.
  const P0 = new Float64Array(A);
  for (let s = 0; s < A; s++) P0[s] = (N1[s] + 0.5) / (nBytes + 0.5 * A);
  const smooth = (counts: Float64Array, off: number, total: number, prior: Float64Array, priorOff: number, w: number, out: Float64Array) => {
    for (let s = 0; s < A; s++) out[s] = (counts[off + s] + w * prior[priorOff + s]) / (total + w);
  };
  const P1 = new Float64Array(V * A);
  for (let c1 = 0; c1 < V; c1++) {
    const row = P1.subarray(c1 * A, (c1 + 1) * A);
    smooth(N2, c1 * A, N2t[c1], P0, 0, alpha, row);
  }
  const klGain = (counts: Float64Array, off: number, p: Float64Array, pOff: number, q: Float64Array, qOff: number): number => {
    let g = 0;
    for (let s = 0; s < A; s++) { const n = counts[off + s]; if (n > 0) g += n * Math.log(p[pOff + s] / q[qOff + s]); }
    return g;
  };

  const tmp = new Float64Array(A);
  // Skip distributions: the symbol given the token two back (c2), ignoring c1.
  const Ns = new Float64Array(V * A);
  const Nst = new Float64Array(V);
  for (let c1 = 0; c1 < V; c1++)
    for (let c2 = 0; c2 < V; c2++) {
      const o = (c1 * V + c2) * A;
      for (let s = 0; s < A; s++) { Ns[c2 * A + s] += N3[o + s]; Nst[c2] += N3[o + s]; }
    }
  // Skip log-ratio log(P(s | c2 two back) / P0(s)), added with weight λ to the order-1 logits.
  const Rs = new Float64Array(V * A);
  for (let c2 = 0; c2 < V; c2++) {
    smooth(Ns, c2 * A, Nst[c2], P0, 0, alpha, tmp);
    for (let s = 0; s < A; s++) Rs[c2 * A + s] = Math.log(tmp[s] / P0[s]);
  }
  const logP1 = P1.map(Math.log);
  /** out = softmax(logParent + λ·Rs[c2]) (a normalized distribution). */
  const additive = (logParent: Float64Array, pOff: number, c2: number, lam: number, out: Float64Array) => {
    let mx = -Infinity;
    for (let s = 0; s < A; s++) { out[s] = logParent[pOff + s] + lam * Rs[c2 * A + s]; if (out[s] > mx) mx = out[s]; }
    let z = 0;
    for (let s = 0; s < A; s++) { out[s] = Math.exp(out[s] - mx); z += out[s]; }
    for (let s = 0; s < A; s++) out[s] /= z;
  };
  // λ by grid search on the training log-likelihood (every c1 and c2 with a detector).
  // Skip detectors are off by default: with 128 detectors, measured on the English
  // corpus they gain less than the order-2 pair detectors they displace.
  const wantSkip = (opts.skipContexts ?? 0) > 0;
  let lambda = wantSkip ? opts.skipWeight ?? -1 : 0;
  const pairGain = (c1: number, c2: number, lam: number) => {
    additive(logP1, c1 * A, c2, lam, tmp);
    return klGain(N3, (c1 * V + c2) * A, tmp, 0, P1, c1 * A);
  };
  if (lambda < 0) {
    let best = 0;
    lambda = 0;
    for (let lam = 0.05; lam <= 1.001; lam += 0.05) {
      let g = 0;
      for (let c1 = 0; c1 < V; c1++) for (let c2 = 0; c2 < V; c2++) if (N2c[c1 * V + c2] > 0) g += pairGain(c1, c2, lam);
      if (g > best) { best = g; lambda = lam; }
    }
  }

  // --- Candidate detectors and their training gains (nats).
  const g1 = [...Array(V).keys()]
    .filter((c1) => N2t[c1] > 0)
    .map((c1) => ({ c1, gain: klGain(N2, c1 * A, P1, c1 * A, P0, 0) }))
    .sort((a, b) => b.gain - a.gain);
  const gs = [...Array(V).keys()]
    .filter((c2) => Nst[c2] > 0 && lambda > 0)
    .map((c2) => {
      let gain = 0;
      for (let c1 = 0; c1 < V; c1++) if (N2c[c1 * V + c2] > 0) gain += pairGain(c1, c2, lambda);
      return { c2, gain };
    })
    .filter((g) => g.gain > 0)
    .sort((a, b) => b.gain - a.gain);
  const P2 = new Float64Array(A);
  const g2: { c1: number; c2: number; gain: number }[] = [];
  for (let c1 = 0; c1 < V; c1++)
    for (let c2 = 0; c2 < V; c2++) {
      const n = N2c[c1 * V + c2];
      if (n < minPair) continue;
      additive(logP1, c1 * A, c2, lambda, tmp);
      smooth(N3, (c1 * V + c2) * A, n, tmp, 0, beta, P2);
      g2.push({ c1, c2, gain: klGain(N3, (c1 * V + c2) * A, P2, 0, tmp, 0) });
    }
  g2.sort((a, b) => b.gain - a.gain);

  // Split layer 0 between order-1, skip and order-2 detectors by total gain.
  const cum = (g: { gain: number }[]) => g.reduce((c, x) => (c.push(c[c.length - 1] + x.gain), c), [0]);
  const cum1 = cum(g1), cumS = cum(gs), cum2 = cum(g2);
  let nOrder1 = 0, nSkip = 0, best = -Infinity;
  for (let p = 0; p <= Math.min(H, g1.length); p++) {
    if (opts.order1Contexts !== undefined && p !== Math.min(H, opts.order1Contexts, g1.length)) continue;
    for (let q = 0; q <= Math.min(H - p, gs.length); q++) {
      if (q !== Math.min(H - p, opts.skipContexts ?? 0, gs.length)) continue;
      const total = cum1[p] + cumS[q] + cum2[Math.min(H - p - q, g2.length)];
      if (total > best) { best = total; nOrder1 = p; nSkip = q; }
    }
  }
  const order1 = g1.slice(0, nOrder1).map((g) => g.c1);
  const skip = gs.slice(0, nSkip).map((g) => g.c2);
  const order2 = g2.slice(0, Math.min(H - nOrder1 - nSkip, g2.length)).map((g) => [g.c1, g.c2] as const);
  const isOrder1 = new Int32Array(V).fill(-1);
  order1.forEach((c1, h) => (isOrder1[c1] = h));
  const isSkip = new Int32Array(V).fill(-1);
  skip.forEach((c2, i) => (isSkip[c2] = nOrder1 + i));
  const isOrder2 = new Map(order2.map(([a, b], i) => [a * V + b, nOrder1 + nSkip + i]));

  // Fallback distribution: pooled counts of contexts without an order-1 detector.
  const Nb = new Float64Array(A);
  let Nbt = 0;
  for (let c1 = 0; c1 < V; c1++) if (isOrder1[c1] < 0) for (let s = 0; s < A; s++) { Nb[s] += N2[c1 * A + s]; Nbt += N2[c1 * A + s]; }
  const Pb = new Float64Array(A);
  smooth(Nb, 0, Nbt, P0, 0, alpha, Pb);
  const logPb = Pb.map(Math.log);
  /** The float model's distribution for the pair (c1, c2), written to out. */
  const modelDist = (c1: number, c2: number, out: Float64Array) => {
    const o1 = isOrder1[c1] >= 0;
    additive(o1 ? logP1 : logPb, o1 ? c1 * A : 0, c2, isSkip[c2] >= 0 ? lambda : 0, out);
    if (isOrder2.has(c1 * V + c2)) {
      const n = N2c[c1 * V + c2];
      for (let s = 0; s < A; s++) out[s] = (N3[(c1 * V + c2) * A + s] + beta * out[s]) / (n + beta);
    }
  };

  // --- Tensors.
  const E = 8;
  const H0 = H, H1 = H;
  const emb = new Int8Array(V * E);
  for (let t = 0; t < V; t++) for (let e = 0; e < E; e++) emb[t * E + e] = (t >> e) & 1 ? 127 : -127;
  const n0 = k * E;
  const w0 = new Int8Array(H0 * n0);
  const b0 = new Int32Array(H0);
  const setCode = (h: number, j: number, t: number) => {
    for (let e = 0; e < E; e++) w0[h * n0 + j * E + e] = (t >> e) & 1 ? 1 : -1;
  };
  order1.forEach((c1, h) => { setCode(h, 0, c1); b0[h] = -(E - 1) * 127; });
  skip.forEach((c2, i) => { setCode(nOrder1 + i, 1, c2); b0[nOrder1 + i] = -(E - 1) * 127; });
  order2.forEach(([c1, c2], i) => {
    const h = nOrder1 + nSkip + i;
    setCode(h, 0, c1);
    setCode(h, 1, c2);
    b0[h] = -(2 * E - 1) * 127;
  });
  // Unused nodes (fewer candidates than H0): all-zero weights, bias -1 → inactive.
  for (let h = nOrder1 + nSkip + order2.length; h < H0; h++) b0[h] = -1;
  // A match gives +127; 127·M/2^S ≥ 255 saturates to 255.
  const m0 = new Uint16Array(H0).fill(5);
  const layer0: HiddenLayer = { w: w0, b: b0, m: m0, s: 1 };

  // Layer 1: a1[s] = round((b1 + 255·Σ w)·σ·257 / 2^16): one weight unit = σ activation units.
  const w1 = new Int8Array(H1 * H0);
  const b1 = new Int32Array(H1);
  const m1 = new Uint16Array(H1).fill(257 * sigma);
  const B = 255;
  const accPerUnit = 255 / sigma; // accumulator per activation unit
  const logit = (p: number) => Math.log(p) / u; // in activation units
  for (let s = 0; s < A; s++) b1[s] = Math.round((B + logit(Pb[s])) * accPerUnit);
  let clipped = 0;
  const q8 = (v: number) => {
    const r = Math.round(v);
    if (r > 127 || r < -127) { clipped++; return r > 0 ? 127 : -127; }
    return r;
  };
  // Quantized order-1 logit (activation units, before clamping) per c1, for the order-2 compensation.
  const base = (s: number) => b1[s] / accPerUnit;
  order1.forEach((c1, h) => {
    for (let s = 0; s < A; s++) w1[s * H0 + h] = q8((B + logit(P1[c1 * A + s]) - base(s)) / sigma);
  });
  skip.forEach((c2, i) => {
    for (let s = 0; s < A; s++) w1[s * H0 + nOrder1 + i] = q8((lambda * Rs[c2 * A + s]) / u / sigma);
  });
  order2.forEach(([c1, c2], i) => {
    const h = nOrder1 + nSkip + i;
    const h1 = isOrder1[c1], hs = isSkip[c2];
    modelDist(c1, c2, P2);
    for (let s = 0; s < A; s++) {
      const have = base(s) + (h1 >= 0 ? w1[s * H0 + h1] * sigma : 0) + (hs >= 0 ? w1[s * H0 + hs] * sigma : 0);
      w1[s * H0 + h] = q8((B + logit(P2[s]) - have) / sigma);
    }
  });
  const layer1: HiddenLayer = { w: w1, b: b1, m: m1, s: 16 };

  // Output: identity, distances in activation units, EXP[d] = 65536·exp(-d·u).
  const wOut = new Int8Array(A * H1);
  for (let s = 0; s < A; s++) wOut[s * H1 + s] = 1;
  const bOut = new Int32Array(A);
  const tensors: ModelTensors = { k, E, alphabet, emb, hidden: [layer0, layer1], wOut, bOut, mOut: 2, sOut: 1, exp: expTable(256, 1 / u) };

  // Float model cross-entropy on the samples (what the quantized one approximates).
  let bits = 0;
  for (let c1 = 0; c1 < V; c1++)
    for (let c2 = 0; c2 < V; c2++) {
      const o = (c1 * V + c2) * A;
      if (N2c[c1 * V + c2] === 0) continue;
      modelDist(c1, c2, P2);
      for (let s = 0; s < A; s++) if (N3[o + s] > 0) bits -= (N3[o + s] * Math.log(P2[s])) / LN2;
      bits += N3[o + ESC] * 8;
    }

  return {
    tensors,
    stats: {
      bytes: nBytes,
      A,
      order1Contexts: nOrder1,
      skipContexts: nSkip,
      skipWeight: lambda,
      order2Contexts: order2.length,
      order0Entropy,
      order1Entropy,
      order2Entropy,
      modelTrainBits: nBytes > 0 ? bits / nBytes : 0,
      clipped,
    },
  };
}

/**
 * Ideal code length in bits of `data` under a model whose predictions depend
 * only on the two previous tokens (as fitClosedForm's do), computed with the
 * reference predictor and cached per (previous, second previous) token pair.
 * Lanes of `laneSize` bytes start with PAD context; an escape costs its
 * frequency plus 8 raw bits.
 */
export function order2CodeLength(
  predictor: { k: number; A: number; ESC: number; PAD: number; tokenOf: Uint16Array; frequencies(ctx: ArrayLike<number>, f: Uint32Array): void },
  data: Uint8Array,
  laneSize = 65536,
): number {
  const { A, ESC, PAD, tokenOf } = predictor;
  const V = A + 1;
  const cache = new Map<number, Float64Array>();
  const ctx = new Uint16Array(predictor.k).fill(PAD);
  const f = new Uint32Array(A);
  let bits = 0;
  let c1 = PAD, c2 = PAD;
  for (let i = 0; i < data.length; i++) {
    if (i % laneSize === 0) { c1 = PAD; c2 = PAD; }
    const key = c1 * V + c2;
    let cost = cache.get(key);
    if (!cost) {
      ctx[0] = c1; ctx[1] = c2;
      predictor.frequencies(ctx, f);
      cost = new Float64Array(A);
      for (let s = 0; s < A; s++) cost[s] = 16 - Math.log2(f[s]);
      cache.set(key, cost);
    }
    const s = tokenOf[data[i]];
    bits += cost[s] + (s === ESC ? 8 : 0);
    c2 = c1;
    c1 = s;
  }
  return bits;
}
