/**
 * The int8 quantization rule lives twice: src/train/export.ts writes the
 * .nncm (double arithmetic) and the trainer's fake-quant forward
 * (native/train/quant_rule.h, float arithmetic) simulates it during
 * quantization-aware training. This pins the two together through
 * Trainer.quantizeRows, which calls quant_rule.h: the same scale (max|w| /
 * 127, 1 for an all-zero row), the same rounding (half up: -2.5 -> -2), the
 * same clamp at +-127, on random rows and on exact .5 ties. The only
 * difference allowed is the arithmetic's: where w / s lies within float
 * rounding of a .5 tie, float and double may round to neighbours.
 * And the exporter's multiplier/shift choice against FORMAT.md 2.2 (only the
 * exporter picks them; every engine reads them from the file).
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/native/addon.js';
import { multipliers, quantScales, quantize, type FloatModel } from '../src/train/export.js';
import type { TrainerClass } from '../src/train/trainer.js';

const T = loadAddon().addon?.exports.Trainer as TrainerClass | undefined;

/** A one-hidden-layer model whose layer 0 rows (width n) are the rows under test. */
function model(W: Float32Array, n: number, emb?: Float32Array, out?: Float32Array): FloatModel {
  const H = W.length / n;
  const A = 3;
  return {
    k: 1, E: n, A, hidden: [H], alphabet: Uint8Array.of(1, 2),
    emb: emb ?? new Float32Array((A + 1) * n).fill(0.5),
    layers: [{ W, b: new Float32Array(H) }],
    out: { W: out ?? new Float32Array(A * H).fill(0.25), b: new Float32Array(A) },
  };
}

/** A seeded generator (xorshift32): the rows are the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Within float rounding of a .5 tie: the one place float and double may disagree. */
const nearTie = (x: number) => Math.abs(x - Math.floor(x) - 0.5) <= 2 ** -20 * Math.max(1, Math.abs(x));

/** Every int of `ts` (scales sTs, double) against `native` (scales as float32), row by row. */
function expectPinned(w: Float32Array, n: number, ts: Int8Array, sTs: number[], native: { q: Int8Array; scales: Float32Array }): number {
  expect(native.scales.length).toBe(sTs.length);
  sTs.forEach((s, r) => expect(native.scales[r], `scale of row ${r}`).toBe(Math.fround(s)));
  let ties = 0;
  for (let i = 0; i < w.length; i++) {
    if (ts[i] === native.q[i]) continue;
    const x = w[i] / sTs[Math.floor(i / n)];
    expect(nearTie(x) && Math.abs(ts[i] - native.q[i]) === 1, `weight ${w[i]} (w/s = ${x}): export ${ts[i]}, fake quant ${native.q[i]}`).toBe(true);
    ties++;
  }
  return ties;
}

describe.skipIf(!T)(`quantization rule: export.ts = quant_rule.h${T ? '' : ' (skipped: the addon has no Trainer)'}`, () => {
  it('random rows (mixed magnitudes, signs, outliers, zero rows): same scales, same ints but at float/double near-ties', () => {
    const r = rng(12345);
    const n = 64;
    const H = 600;
    const W = new Float32Array(H * n);
    for (let h = 0; h < H; h++) {
      const kind = h % 6;
      const mag = 10 ** (-30 + 32 * r()); // row magnitudes from 1e-30 to 100
      for (let i = 0; i < n; i++) {
        let v = (2 * r() - 1) * mag;
        if (kind === 1) v = -Math.abs(v); // all negative
        if (kind === 2 && i % 17 === 0) v *= 50; // outliers set the scale
        if (kind === 3) v = 0; // all-zero row: scale 1
        if (kind === 4 && i !== 5) v = 0; // one non-zero weight: it maps to +-127
        W[h * n + i] = v;
      }
    }
    const f = model(W, n);
    const sc = quantScales(f, [1]);
    const t = quantize(f, sc);
    const ties = expectPinned(W, n, t.hidden[0].w, sc.weightScale[0], T!.quantizeRows(W, n));
    // Near-ties are rare on random data (about 2 per million weights).
    expect(ties).toBeLessThan(W.length * 1e-4);

    // Rows made of near-ties: w = float((k + 0.5) * s) for every k. Here the
    // float and the double arithmetic do part ways (the allowance above is
    // needed, and enough); if none does any more, the two sides became one
    // rule: drop the allowance.
    const m = 0.93;
    const near = new Float32Array(4 * 254);
    for (let row = 0; row < 4; row++) {
      const top = Math.fround(m + row * 0.011);
      const s = top / 127;
      for (let k = -127; k < 126; k++) near[row * 254 + k + 127] = Math.fround((k + 0.5) * s);
      near[row * 254 + 253] = top;
    }
    const fn = model(near, 254);
    const scn = quantScales(fn, [1]);
    const split = expectPinned(near, 254, quantize(fn, scn).hidden[0].w, scn.weightScale[0], T!.quantizeRows(near, 254));
    expect(split).toBeGreaterThan(0);
    expectPinned(f.emb, f.emb.length, t.emb, [sc.embedScale], T!.quantizeRows(f.emb, f.emb.length));
    expectPinned(f.out.W, f.out.W.length, t.wOut, sc.weightScale[1], T!.quantizeRows(f.out.W, f.out.W.length));
    // The single-weight rows land exactly on +-127.
    for (let h = 4; h < H; h += 6) expect(Math.abs(t.hidden[0].w[h * n + 5])).toBe(127);
  });

  it('exact .5 ties round half up on both sides (-2.5 -> -2, 2.5 -> 3), with the scale chosen or given', () => {
    // max|w| = 127/128, so s = 1/128 exactly, and every (k + 0.5) / 128 is exact in float and double.
    const n = 255;
    const W = new Float32Array(n);
    for (let k = -127; k < 127; k++) W[k + 127] = (k + 0.5) / 128;
    W[254] = -127 / 128;
    const f = model(W, n);
    const sc = quantScales(f, [1]);
    expect(sc.weightScale[0][0]).toBe(1 / 128);
    const t = quantize(f, sc);
    const native = T!.quantizeRows(W, n);
    expect(expectPinned(W, n, t.hidden[0].w, sc.weightScale[0], native)).toBe(0);
    for (let k = -127; k < 127; k++) expect(t.hidden[0].w[k + 127], `(${k} + 0.5) / 128`).toBe(k + 1);
    expect(t.hidden[0].w[254]).toBe(-127);
  });

  it('clamps at +-127 with a given scale: 127.5 -> 127, -127.5 -> -127, -128.5 -> -127, +-5/s -> +-127', () => {
    const s = 1 / 128;
    const vals = [127.5, -127.5, 128.5, -128.5, 126.5, -126.5, 640, -640, 127, -127, 0].map((v) => v * s);
    const W = Float32Array.from(vals);
    const n = W.length;
    const f = model(W, n);
    const sc = { ...quantScales(f, [1]), weightScale: [[s], [1]] };
    const t = quantize(f, sc);
    const native = T!.quantizeRows(W, n, [s]);
    expect(expectPinned(W, n, t.hidden[0].w, [s], native)).toBe(0);
    expect([...t.hidden[0].w]).toEqual([127, -127, 127, -127, 127, -126, 127, -127, 127, -127, 0]);
  });

  it('quantizeRows refuses what it cannot use', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    expect(code(() => T!.quantizeRows(new Float32Array(6), 4))).toBe('ERR_NNC_INVALID_ARG');
    expect(code(() => T!.quantizeRows(new Float32Array(6), 3, [1, 2, 3]))).toBe('ERR_NNC_INVALID_ARG');
    expect(code(() => T!.quantizeRows(new Float32Array(6), 3, 0))).toBe('ERR_NNC_INVALID_ARG');
    expect(code(() => T!.quantizeRows(new Uint8Array(6) as never, 3))).toBe('ERR_NNC_INVALID_ARG');
  });
});

describe('export multipliers (FORMAT.md 2.2: u16 M, 1 <= S <= 40)', () => {
  it('the largest shift whose largest multiplier fits u16; each M = round(ratio * 2^S)', () => {
    const r = rng(777);
    const sets: number[][] = [
      [1e-15, 3e-16], // tiny: S = 40
      [1e5, 3], // huge: S = 1, M clamped at 65535
      [65535.5 / 2 ** 17, 0.1], // round(max * 2^17) = 65536: S = 16, M = 32768
      [65535.4 / 2 ** 17], // round(max * 2^17) = 65535: S = 17
      [0.5, 0.25, 0.125], // powers of two: exact
      [0],
    ];
    for (let i = 0; i < 200; i++) sets.push(Array.from({ length: 1 + Math.floor(r() * 8) }, () => 10 ** (-12 + 14 * r())));
    for (const ratios of sets) {
      const { m, s } = multipliers(ratios);
      const max = Math.max(...ratios, 1e-30);
      expect(s >= 1 && s <= 40, `S = ${s} for ${ratios}`).toBe(true);
      if (s > 1) expect(Math.round(max * 2 ** s)).toBeLessThanOrEqual(65535);
      if (s < 40) expect(Math.round(max * 2 ** (s + 1)), `S = ${s} is not the largest for ${ratios}`).toBeGreaterThan(65535);
      ratios.forEach((ratio, i) => {
        expect(m[i]).toBe(Math.min(65535, Math.round(ratio * 2 ** s)));
        if (m[i] < 65535) expect(Math.abs(m[i] / 2 ** s - ratio)).toBeLessThanOrEqual(2 ** -(s + 1));
      });
    }
    expect(multipliers([65535.5 / 2 ** 17, 0.1])).toMatchObject({ s: 16 });
    expect(multipliers([65535.5 / 2 ** 17]).m[0]).toBe(32768);
    expect(multipliers([65535.4 / 2 ** 17]).s).toBe(17);
    expect(multipliers([1e-15]).s).toBe(40);
    expect(multipliers([1e5]).m[0]).toBe(65535);
  });
});
