import { describe, expect, it } from 'vitest';
import { fitClosedForm, order2CodeLength } from '../scripts/closed-form.js';
import { parseModel, serializeModel } from '../src/format/model-file.js';
import { rng } from './support/random.js';
import { Predictor, fillContext } from '../src/engine/ts/predictor.js';

/** A random order-1 Markov source over `n` byte values starting at `first`, skewed so it is far from uniform. */
function markov1(n: number, first: number, seed: number) {
  const r = rng(seed);
  const P: number[][] = [];
  for (let a = 0; a < n; a++) {
    const row = Array.from({ length: n }, () => r() ** 4 + 1e-3);
    const z = row.reduce((x, y) => x + y, 0);
    P.push(row.map((v) => v / z));
  }
  // Stationary distribution by power iteration.
  let pi = new Array(n).fill(1 / n);
  for (let it = 0; it < 500; it++) {
    const next = new Array(n).fill(0);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) next[b] += pi[a] * P[a][b];
    pi = next;
  }
  let h1 = 0, h0 = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) h1 -= pi[a] * P[a][b] * Math.log2(P[a][b]);
  for (let b = 0; b < n; b++) h0 -= pi[b] * Math.log2(pi[b]);
  const sample = (len: number, s: number) => {
    const g = rng(s);
    const out = new Uint8Array(len);
    let prev = 0;
    for (let i = 0; i < len; i++) {
      let u = g(), b = 0;
      while (b < n - 1 && u >= P[prev][b]) u -= P[prev][b++];
      out[i] = first + b;
      prev = b;
    }
    return out;
  };
  return { h0, h1, sample };
}

describe('fitClosedForm', () => {
  const src = markov1(24, 0x61, 7);
  const train = [src.sample(200_000, 1), src.sample(100_000, 2)];
  const test = src.sample(100_000, 3);
  const { tensors, stats } = fitClosedForm(train);

  it('builds the shipped architecture shape', () => {
    expect(tensors.k).toBe(16);
    expect(tensors.E).toBeLessThanOrEqual(64);
    expect(tensors.hidden.map((l) => l.b.length)).toEqual([128, 128]);
    expect(Array.from(tensors.alphabet)).toEqual(Array.from({ length: 24 }, (_, i) => 0x61 + i));
    expect(stats.A).toBe(25);
    expect(stats.order1Contexts + stats.skipContexts + stats.order2Contexts).toBeLessThanOrEqual(128);
  });

  it('codes an order-1 Markov source close to its conditional entropy', () => {
    const p = new Predictor(tensors);
    const bpb = order2CodeLength(p, test, 65536) / test.length;
    // Source: H(X|prev) ≈ 3.544, H(X) ≈ 4.535 bits (measured: 3.558). Allowed: 0.05 bits/byte above
    // the true conditional entropy (smoothing, 1/16-nat logit steps, 16-bit frequencies).
    expect(src.h0 - src.h1).toBeGreaterThan(0.5);
    expect(bpb).toBeGreaterThan(src.h1 - 0.02);
    expect(bpb).toBeLessThan(src.h1 + 0.05);
    expect(bpb).toBeLessThan(src.h0 - 0.5);
    // The float model it approximates is close too (quantization costs little).
    expect(Math.abs(stats.modelTrainBits - stats.order1Entropy)).toBeLessThan(0.05);
  });

  it('order2CodeLength equals the reference predictor position by position', () => {
    const p = new Predictor(tensors);
    const data = test.subarray(0, 3000);
    const f = new Uint32Array(p.A);
    const ctx = new Uint16Array(p.k);
    let bits = 0;
    for (let i = 0; i < data.length; i++) {
      fillContext(p, data, i - (i % 1000), i, ctx);
      p.frequencies(ctx, f);
      const s = p.tokenOf[data[i]];
      bits += 16 - Math.log2(f[s]) + (s === p.ESC ? 8 : 0);
    }
    expect(order2CodeLength(p, data, 1000)).toBeCloseTo(bits, 6);
  });

  it('round-trips through serializeModel / parseModel with identical predictions', () => {
    const bytes = serializeModel(tensors, { name: 'test' });
    const parsed = parseModel(bytes);
    expect(parsed.tensors.k).toBe(tensors.k);
    expect(Array.from(parsed.tensors.wOut)).toEqual(Array.from(tensors.wOut));
    expect(Array.from(parsed.tensors.hidden[1].w)).toEqual(Array.from(tensors.hidden[1].w));
    expect(Array.from(parsed.tensors.exp)).toEqual(Array.from(tensors.exp));
    const p1 = new Predictor(tensors), p2 = new Predictor(parsed.tensors);
    expect(order2CodeLength(p2, test, 65536)).toBe(order2CodeLength(p1, test, 65536));
  });

  it('gives non-trivial, context-dependent distributions', () => {
    const p = new Predictor(tensors);
    const ctx = new Uint16Array(p.k).fill(p.PAD);
    const f = new Uint32Array(p.A);
    const argmax = new Set<number>();
    for (let t = 0; t < 24; t++) {
      ctx[0] = t;
      p.frequencies(ctx, f);
      let sum = 0, max = 0, arg = 0;
      for (let s = 0; s < p.A; s++) { sum += f[s]; if (f[s] > max) { max = f[s]; arg = s; } }
      expect(sum).toBe(65536);
      expect(max).toBeGreaterThan(65536 / 24 * 2); // far from uniform
      expect(max).toBeLessThan(65536); // not one-hot
      argmax.add(arg);
    }
    expect(argmax.size).toBeGreaterThan(5); // the prediction depends on the context
  });

  it('captures order-2 structure with pair detectors', () => {
    // x[i] = x[i-2] with probability 0.9, else uniform over 4 values: order-1 is nearly useless.
    const gen = (n: number, seed: number) => {
      const r = rng(seed);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = 0x30 + (i >= 2 && r() < 0.9 ? out[i - 2] - 0x30 : Math.floor(r() * 4));
      return out;
    };
    const fit = fitClosedForm([gen(100_000, 11)]);
    expect(fit.stats.order2Contexts).toBeGreaterThan(0);
    const data = gen(50_000, 12);
    const bpb = order2CodeLength(new Predictor(fit.tensors), data, 65536) / data.length;
    // True order-2 entropy: -(0.925·log2 0.925 + 3·0.025·log2 0.025) ≈ 0.503.
    expect(fit.stats.order1Entropy).toBeGreaterThan(1.9);
    expect(bpb).toBeLessThan(0.55);
  });

  it('escapes bytes outside the alphabet and survives degenerate input', () => {
    const { tensors: t } = fitClosedForm([new Uint8Array(0)]);
    expect(() => serializeModel(t)).not.toThrow();
    const p = new Predictor(t);
    const bits = order2CodeLength(p, Uint8Array.from([1, 2, 3]), 65536);
    expect(bits).toBeGreaterThan(24);
  });
});
