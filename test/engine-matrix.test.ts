/**
 * The engine matrix: for every pair of registered engines (today cpu × ts,
 * the cpu engine at its NNC_SIMD or best level), on random models and random
 * inputs, both write byte-identical archives and each decodes the other's.
 * A pair with an engine that does not load is skipped, with the reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressSync, decompressSync } from '../src/index.js';
import { makeRandomModel, modelData, rng } from './helpers.js';
import { enginePairs } from './support/engines.js';

for (const { a: ea, b: eb, skip } of enginePairs) describe.skipIf(!!skip)(`engine matrix ${ea} × ${eb}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('identical archives and cross-decoding on random models and inputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2500 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 0, max: 3 }),
        (seed, n, laneSize, kind) => {
          const tm = makeRandomModel(seed);
          const r = rng(seed ^ 0x5bd1e995);
          // Model-sampled data takes the neural path; the others test escapes and stored frames.
          const data =
            kind === 0 ? modelData(tm, n, seed, laneSize)
            : kind === 1 ? Uint8Array.from({ length: n }, () => Math.floor(r() * 256))
            : kind === 2 ? new Uint8Array(n).fill(tm.tensors.alphabet[0])
            : Uint8Array.from({ length: n }, () => tm.tensors.alphabet[Math.floor(r() * r() * tm.tensors.alphabet.length)]);
          // Level 1 (method 1, the network alone): test/cpu-mixed.test.ts holds the engines to the same method-2 bytes.
          const opts = { model: tm.model, laneSize, frameSize: 1 + Math.floor(r() * 3000), level: 1 };
          const a = compressSync(data, { ...opts, engine: ea });
          const b = compressSync(data, { ...opts, engine: eb });
          expect(Buffer.compare(a, b)).toBe(0);
          expect(decompressSync(a, { ...opts, engine: eb }).equals(Buffer.from(data))).toBe(true);
          expect(decompressSync(b, { ...opts, engine: ea }).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });

  it('wide models like the shipped architecture (k=16, 128-128) agree', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const tm = makeRandomModel(seed, { k: 16, E: 16, hidden: [128, 128], alphabetBytes: 96 + seed });
      const data = modelData(tm, 3000, seed, 1000);
      const a = compressSync(data, { model: tm.model, laneSize: 1000, engine: ea, level: 1 });
      const b = compressSync(data, { model: tm.model, laneSize: 1000, engine: eb, level: 1 });
      expect(a[5]).toBe(1);
      expect(Buffer.compare(a, b)).toBe(0);
      expect(decompressSync(b, { model: tm.model, engine: ea }).equals(Buffer.from(data))).toBe(true);
      expect(decompressSync(a, { model: tm.model, engine: eb }).equals(Buffer.from(data))).toBe(true);
    }
  });
});
