/**
 * Round trips through the reference engine on boundary sizes, and the
 * reference's own invariants (frequencies sum to 2^16, each ≥ 1).
 */
import { describe, expect, it } from 'vitest';
import { frequencyTable, tsEngine } from '../src/engine/ts/index.js';
import { Predictor, fillContext } from '../src/engine/ts/predictor.js';
import { FRAME_OVERHEAD, parseFrameHeader } from '../src/format/frame.js';
import { makeRandomModel, modelData, randomBytes, rng } from './helpers.js';

const tm = makeRandomModel(11, { k: 6, E: 4, hidden: [24, 16], alphabetBytes: 60 });
const em = tsEngine.loadModel(tm.bytes);
const roundTrip = (data: Uint8Array, laneSize: number) => {
  const frame = tsEngine.compressFrame(em, data, { laneSize, threads: 1 });
  const back = tsEngine.decompressFrame(em, frame, { threads: 1 });
  expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
  return frame;
};

describe('ts engine', () => {
  it('frequencies sum to 2^16 with every symbol ≥ 1', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const m = makeRandomModel(seed);
      const p = new Predictor(m.tensors);
      const r = rng(seed);
      const f = new Uint32Array(p.A);
      for (let n = 0; n < 20; n++) {
        const ctx = Uint16Array.from({ length: p.k }, () => Math.floor(r() * (p.A + 1)));
        p.frequencies(ctx, f);
        expect(f.reduce((a, b) => a + b, 0)).toBe(65536);
        expect(Math.min(...f)).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('the context model holds the FORMAT.md 2.1 context at every position, lanes included', () => {
    const p = new Predictor(tm.tensors);
    const data = Uint8Array.from(randomBytes(300, 4), (b, i) => (i % 3 ? tm.tensors.alphabet[b % 60] : b));
    const want = new Uint16Array(p.k);
    for (const laneSize of [1, 5, 37, 300]) {
      const cm = p.newContext();
      for (let i = 0; i < data.length; i++) {
        if (i % laneSize === 0) cm.reset();
        fillContext(p, data, i - (i % laneSize), i, want);
        expect([...cm.inputs()]).toEqual([...want]);
        cm.push(data[i]);
      }
      // The engine's table is the spec's: frequencies of each position's context.
      const table = frequencyTable(em, data, laneSize);
      const f = new Uint32Array(p.A);
      for (let i = 0; i < data.length; i++) {
        fillContext(p, data, i - (i % laneSize), i, want);
        p.frequencies(want, f);
        expect([...table.subarray(i * p.A, (i + 1) * p.A)]).toEqual([...f]);
      }
    }
    expect(() => frequencyTable(em, data, 0)).toThrow(expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG' }));
  });

  it('frequencies are the steps logits → mix (identity in v1) → frequenciesOf', () => {
    const p = new Predictor(tm.tensors);
    const r = rng(3);
    const f = new Uint32Array(p.A), g = new Uint32Array(p.A);
    for (let n = 0; n < 20; n++) {
      const ctx = Uint16Array.from({ length: p.k }, () => Math.floor(r() * (p.A + 1)));
      p.frequencies(ctx, f);
      const z = Float64Array.from(p.logits(ctx));
      expect(p.mix(z)).toBe(z);
      p.frequenciesOf(z, g);
      expect([...g]).toEqual([...f]);
    }
  });

  const L = 37;
  it.each([0, 1, 2, L - 1, L, L + 1, 5 * L, 5 * L + 1, 401])('round-trips %i bytes of model data with lane size 37', (n) => {
    const frame = roundTrip(modelData(tm, n, n + 1, L), L);
    const h = parseFrameHeader(frame);
    expect(h.contentSize).toBe(n);
    if (n >= 2 * L) expect(h.method).toBe(1);
  });

  it('round-trips every byte value (escapes) and all-equal bytes', () => {
    roundTrip(Uint8Array.from({ length: 512 }, (_, i) => i & 255), 100);
    roundTrip(new Uint8Array(700).fill(tm.tensors.alphabet[3]), 64);
    roundTrip(new Uint8Array(300).fill(255), 1);
  });

  it('stores incompressible input with a fixed 36-byte overhead', () => {
    const data = randomBytes(3000, 5);
    const frame = roundTrip(data, 1000);
    expect(frame.length).toBe(data.length + FRAME_OVERHEAD);
    expect(parseFrameHeader(frame).method).toBe(0);
  });

  it('compresses model data well below its size and deterministically', () => {
    const data = modelData(tm, 4000, 3, 1000);
    const a = roundTrip(data, 1000);
    const b = tsEngine.compressFrame(em, data, { laneSize: 1000, threads: 1 });
    expect(a.length).toBeLessThan(data.length * 0.9);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('rejects a frame made with another model', () => {
    const other = tsEngine.loadModel(makeRandomModel(12).bytes);
    const frame = tsEngine.compressFrame(em, modelData(tm, 500, 1), { laneSize: 500, threads: 1 });
    expect(parseFrameHeader(frame).method).toBe(1);
    expect(() => tsEngine.decompressFrame(other, frame, { threads: 1 })).toThrow(expect.objectContaining({ code: 'ERR_NNC_MODEL_MISMATCH' }));
  });
});
