/**
 * The cpu engine (native addon) against the ts reference, for every SIMD
 * level this machine has: same frequency table at every position, same
 * frames, each decodes the other's; errors carry stable codes and the
 * caller's stack. Skipped, with the reason, where the addon is not built.
 */
import { describe, expect, it } from 'vitest';
import { createCpuEngine, cpuFeatures, type SimdLevel } from '../src/engine/cpu.js';
import { frequencyTable, tsEngine } from '../src/engine/ts/index.js';
import { randomModel, rng } from './support/random.js';
import { sampleFromModel } from './support/sample.js';
import { serializeModel } from '../src/format/model-file.js';
import { engineStatus, skipNote } from './support/engines.js';

const cpuStatus = engineStatus('cpu');
const feats = cpuFeatures();
const levels: SimdLevel[] = feats
  ? (['scalar', 'avx2', 'avx512'] as SimdLevel[]).filter((l) => l === 'scalar' || feats[l as 'avx2' | 'avx512'])
  : [];

describe.skipIf(!cpuStatus.available)(`cpu engine vs ts reference${skipNote(cpuStatus)}`, () => {
  it('reports CPU features', () => {
    expect(feats).not.toBeNull();
    expect(['scalar', 'avx2', 'avx512']).toContain(feats!.best);
  });

  for (const simd of levels) {
    it(`${simd}: frequency tables and frames match the reference on random models`, () => {
      const cpu = createCpuEngine({ simd });
      for (let seed = 1; seed <= 12; seed++) {
        const r = rng(seed * 7919);
        const o =
          seed % 4 === 0
            ? { k: 16, E: 16, hidden: [128, 128], alphabetBytes: 90 + seed }
            : { k: 1 + (seed % 7), E: 1 + (seed % 5), hidden: seed % 3 === 0 ? [19] : [24, 33], alphabetBytes: 1 + ((seed * 37) % 256) };
        const t = randomModel(seed, o);
        const bytes = serializeModel(t, { name: `native-${seed}` });
        const cm = cpu.loadModel(bytes);
        const tm = tsEngine.loadModel(bytes);
        expect(cm.id).toBe(tm.id);
        const laneSize = 1 + Math.floor(r() * 300);
        const n = Math.floor(r() * 1500);
        const data =
          seed % 2 ? sampleFromModel(t, n, seed, laneSize) : Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
        const nf = cpu.frequencies(cm, data.subarray(0, 400), laneSize);
        expect(Buffer.from(nf.buffer).equals(Buffer.from(frequencyTable(tm, data.subarray(0, 400), laneSize).buffer))).toBe(true);
        const a = tsEngine.compressFrame(tm, data, { laneSize, threads: 1 });
        for (const threads of [1, 2]) {
          const b = cpu.compressFrame(cm, data, { laneSize, threads });
          expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
        }
        expect(Buffer.from(cpu.decompressFrame(cm, a, { threads: 2 })).equals(Buffer.from(data))).toBe(true);
        expect(Buffer.from(tsEngine.decompressFrame(tm, cpu.compressFrame(cm, data, { laneSize, threads: 2 }), { threads: 1 })).equals(Buffer.from(data))).toBe(true);
      }
    });
  }

  it('async calls agree with sync ones and keep the caller stack on errors', async () => {
    const cpu = createCpuEngine();
    const t = randomModel(5, { k: 4, E: 4, hidden: [16], alphabetBytes: 40 });
    const m = cpu.loadModel(serializeModel(t));
    const data = sampleFromModel(t, 5000, 3, 512);
    const sync = cpu.compressFrame(m, data, { laneSize: 512, threads: 2 });
    const asyncOut = await cpu.compressFrameAsync(m, data, { laneSize: 512, threads: 2 });
    expect(Buffer.compare(Buffer.from(sync), Buffer.from(asyncOut))).toBe(0);
    expect(Buffer.from(await cpu.decompressFrameAsync(m, asyncOut, { threads: 2 })).equals(Buffer.from(data))).toBe(true);
    const bad = Uint8Array.from(sync);
    bad[bad.length - 1] ^= 1;
    const err = await cpu.decompressFrameAsync(m, bad, { threads: 1 }).then(
      () => null,
      (e: unknown) => e as { code: string; stack: string },
    );
    expect(err?.code).toBe('ERR_NNC_CHECKSUM');
    expect(err?.stack).toContain('native-cpu.test');
  });

  it('stable error codes', () => {
    const cpu = createCpuEngine();
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
        return 'OK';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(codeOf(() => cpu.loadModel(new Uint8Array(10)))).toBe('ERR_NNC_BAD_MODEL');
    const t = randomModel(9, { k: 3, E: 3, hidden: [8], alphabetBytes: 10 });
    const m = cpu.loadModel(serializeModel(t));
    expect(codeOf(() => cpu.compressFrame(m, new Uint8Array(4), { laneSize: 0, threads: 1 }))).toBe('ERR_NNC_INVALID_ARG');
    expect(codeOf(() => cpu.compressFrame(m, 'x' as unknown as Uint8Array, { laneSize: 1, threads: 1 }))).toBe('ERR_NNC_INVALID_ARG');
    expect(codeOf(() => cpu.decompressFrame(m, Uint8Array.of(0x89, 0x4e, 0x4e), { threads: 1 }))).toBe('ERR_NNC_TRUNCATED');
    expect(codeOf(() => cpu.decompressFrame(m, new Uint8Array(40), { threads: 1 }))).toBe('ERR_NNC_CORRUPT');
    expect(codeOf(() => createCpuEngine({ simd: 'sse' as SimdLevel }))).toBe('ERR_NNC_INVALID_ARG');
    if (!feats!.avx512) expect(codeOf(() => createCpuEngine({ simd: 'avx512' }))).toBe('ERR_NNC_UNSUPPORTED');
  });
});
