/**
 * Frame method 2 ("mixed", docs/FORMAT.md section 5) in the cpu engine
 * (native/core/mix) against the ts reference: the two engines must write
 * byte-identical frames, so the C++ stage must give every bit the TS
 * stage's p. Random small models, text, repetitive and out-of-alphabet
 * inputs, levels 2..9 and blocks no level writes, one and several lanes,
 * the network on and off, every SIMD variant and several thread counts;
 * each engine decodes the other's frames; damaged frames fail with the
 * same code in both; the async path and its cancellation.
 */
import { describe, expect, it } from 'vitest';
import { createCpuEngine, cpuFeatures, type SimdLevel } from '../src/engine/cpu.js';
import { tsEngine } from '../src/engine/ts/index.js';
import { METHOD_MIXED } from '../src/format/frame.js';
import { EXPERT_BITS, type MixParams, levelParams } from '../src/format/mix-params.js';
import { engineStatus, skipNote } from './support/engines.js';
import { codeOf, generatedText, makeRandomModel, modelData, repeatedText, rng } from './helpers.js';

const cpuStatus = engineStatus('cpu');
const level = (l: number): MixParams => levelParams(l)!;
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe.skipIf(!cpuStatus.available)(`cpu engine method 2 vs ts reference${skipNote(cpuStatus)}`, () => {
  const feats = (cpuStatus.available ? cpuFeatures() : null) ?? { avx2: false, avx512: false };
  const simds: SimdLevel[] = ['scalar', ...(feats.avx2 ? ['avx2' as const] : []), ...(feats.avx512 ? ['avx512' as const] : [])];
  const cpu = cpuStatus.available ? createCpuEngine({ simd: 'scalar' }) : null;

  const tm = makeRandomModel(41, { k: 6, E: 4, hidden: [24, 16], alphabetBytes: 60 });
  const tm2 = makeRandomModel(42, { k: 3, E: 8, hidden: [32], alphabetBytes: 200 });
  const repetitive = repeatedText(400, 6, 12);
  const outside = (() => {
    // The model's own distribution with every third byte a random one (many outside the alphabet).
    const out = modelData(tm, 1500, 6);
    const r = rng(7);
    for (let i = 0; i < out.length; i += 3) out[i] = Math.floor(r() * 256);
    return out;
  })();
  const inputs: [string, Uint8Array][] = [
    ['text', generatedText(2000, 3)],
    ['repetitive', repetitive],
    ['outside the alphabet', outside],
  ];
  const noNet: MixParams = { ...level(6), mask: level(6).mask & ~EXPERT_BITS.net };
  // Blocks: the levels (7 with its smallest legal tables, so a test stays small), and blocks no level writes.
  const blocks: [string, MixParams][] = [
    ...[2, 3, 4, 5, 6].map((l): [string, MixParams] => [`level ${l}`, level(l)]),
    ['level 7 experts, smallest tables', { ...level(7), hb: 10, mb: 12, a2b: 8 }],
    ['level 6 without the network', noNet],
    ['the network alone', { mask: EXPERT_BITS.net, hb: 0, mb: 0, a2b: 0, level: 0 }],
    ['bias only', { mask: 0, hb: 0, mb: 0, a2b: 0, level: 0 }],
    ['record and sparse kinds, APMs', { mask: EXPERT_BITS.r1 | EXPERT_BITS.r2 | EXPERT_BITS.s3 | EXPERT_BITS.o8 | EXPERT_BITS.apm, hb: 11, mb: 0, a2b: 9, level: 0 }],
  ];

  for (const [model, mname] of [[tm, 'model A'], [tm2, 'model B']] as const) {
    const tsModel = tsEngine.loadModel(model.bytes);
    const cpuModel = cpu ? cpu.loadModel(model.bytes) : null;
    for (const [bname, mix] of blocks)
      it(`${mname}, ${bname}: frames byte-identical, each engine decodes the other's`, () => {
        let mixed = 0;
        for (const [iname, data] of inputs)
          for (const laneSize of [data.length, 700]) {
            const t = tsEngine.compressFrame(tsModel, data, { laneSize, threads: 1, mix });
            const c = cpu!.compressFrame(cpuModel!, data, { laneSize, threads: 1, mix });
            expect(same(c, t), `${iname}, lanes of ${laneSize}`).toBe(true);
            if (t[5] === METHOD_MIXED) mixed++;
            expect(same(cpu!.decompressFrame(cpuModel, t, { threads: 2 }), data)).toBe(true);
            if (laneSize === 700) expect(same(tsEngine.decompressFrame(tsModel, c, { threads: 1 }), data)).toBe(true);
          }
        expect(mixed, 'most frames are mixed, not stored').toBeGreaterThanOrEqual(bname === 'bias only' ? 0 : 4);
      });
  }

  it('level 8 and 9 (larger tables) on one input', () => {
    const tsModel = tsEngine.loadModel(tm.bytes);
    const cpuModel = cpu!.loadModel(tm.bytes);
    for (const l of [8, 9]) {
      const t = tsEngine.compressFrame(tsModel, repetitive, { laneSize: 1000, threads: 1, mix: level(l) });
      expect(t[5]).toBe(METHOD_MIXED);
      expect(same(cpu!.compressFrame(cpuModel, repetitive, { laneSize: 1000, threads: 2, mix: level(l) }), t)).toBe(true);
    }
  });

  it('every SIMD variant and thread count writes the same frame, and decodes it', () => {
    const data = inputs[0][1];
    const ref = tsEngine.compressFrame(tsEngine.loadModel(tm.bytes), data, { laneSize: 300, threads: 1, mix: level(6) });
    for (const simd of simds) {
      const e = createCpuEngine({ simd });
      const m = e.loadModel(tm.bytes);
      for (const threads of [1, 2, 5]) {
        const f = e.compressFrame(m, data, { laneSize: 300, threads, mix: level(6) });
        expect(same(f, ref), `${simd}, ${threads} threads`).toBe(true);
        expect(same(e.decompressFrame(m, f, { threads }), data)).toBe(true);
      }
    }
  });

  it('damaged frames fail with the same code in both engines', () => {
    const tsModel = tsEngine.loadModel(tm.bytes);
    const cpuModel = cpu!.loadModel(tm.bytes);
    const otherBytes = makeRandomModel(43, { k: 6, E: 4, hidden: [24, 16], alphabetBytes: 60 }).bytes;
    const frame = tsEngine.compressFrame(tsModel, repetitive, { laneSize: 1000, threads: 1, mix: level(5) });
    expect(frame[5]).toBe(METHOD_MIXED);
    const mod = (off: number, v: number): Uint8Array => {
      const f = Uint8Array.from(frame);
      f[off] = v;
      return f;
    };
    const damaged: [string, Uint8Array][] = [
      ['version 1', mod(4, 1)],
      ['unknown expert', mod(30, frame[30] | 2)],
      ['HB 9', mod(32, 9)],
      ['MB 23', mod(33, 23)],
      ['A2B 17', mod(34, 17)],
      ['level 10', mod(35, 10)],
      ['size for an expert that is off', mod(29, frame[29] & ~(EXPERT_BITS.match >> 8))],
      ['lane table sum', mod(36, frame[36] + 1)],
      ['lane shorter than 4', (() => { const f = Uint8Array.from(frame); f.set([3, 0, 0, 0], 36); return f; })()],
      ['payload too small for its lanes', (() => { const f = Uint8Array.from(frame); new DataView(f.buffer).setUint32(24, 8 + 8 * 3 - 1, true); return f; })()],
      ['truncated', frame.subarray(0, frame.length - 1)],
      ['trailing byte', Uint8Array.from([...frame, 0])],
      ['checksum', mod(frame.length - 1, frame[frame.length - 1] ^ 1)],
    ];
    const r = rng(9);
    for (let i = 0; i < 40; i++) {
      const off = 48 + Math.floor(r() * (frame.length - 56));
      damaged.push([`bit flip at ${off}`, mod(off, frame[off] ^ (1 << Math.floor(r() * 8)))]);
    }
    for (const [name, f] of damaged) {
      const want = codeOf(() => tsEngine.decompressFrame(tsModel, f, { threads: 1 }));
      expect(want, name).not.toBe('OK');
      expect(codeOf(() => cpu!.decompressFrame(cpuModel, f, { threads: 2 })), name).toBe(want);
    }
    // The model: required (and checked) with the network, informational without it.
    expect(codeOf(() => cpu!.decompressFrame(null, frame, { threads: 1 }))).toBe('ERR_NNC_INVALID_ARG');
    expect(codeOf(() => cpu!.decompressFrame(cpu!.loadModel(otherBytes), frame, { threads: 1 }))).toBe('ERR_NNC_MODEL_MISMATCH');
    const nf = tsEngine.compressFrame(tsModel, repetitive, { laneSize: 1000, threads: 1, mix: noNet });
    expect(nf[5]).toBe(METHOD_MIXED);
    expect(same(cpu!.decompressFrame(null, nf, { threads: 1 }), repetitive)).toBe(true);
    expect(same(cpu!.decompressFrame(cpu!.loadModel(otherBytes), nf, { threads: 1 }), repetitive)).toBe(true);
  });

  it('an invalid mix block is ERR_NNC_INVALID_ARG, as in the ts engine', () => {
    const tsModel = tsEngine.loadModel(tm.bytes);
    const cpuModel = cpu!.loadModel(tm.bytes);
    const bad: MixParams[] = [
      { ...level(6), hb: 9 },
      { ...level(6), mb: 0 },
      { ...level(6), a2b: 17 },
      { ...level(6), level: 10 },
      { ...level(6), mask: level(6).mask | (1 << 17) },
      { ...level(6), hb: 1.5 },
    ];
    for (const mix of bad) {
      expect(codeOf(() => tsEngine.compressFrame(tsModel, repetitive, { laneSize: 1000, threads: 1, mix })), JSON.stringify(mix)).toBe('ERR_NNC_INVALID_ARG');
      expect(codeOf(() => cpu!.compressFrame(cpuModel, repetitive, { laneSize: 1000, threads: 1, mix })), JSON.stringify(mix)).toBe('ERR_NNC_INVALID_ARG');
    }
  });

  it('async: the same frame, and an abort stops the job', async () => {
    const cpuModel = cpu!.loadModel(tm.bytes);
    const data = inputs[0][1];
    const sync = cpu!.compressFrame(cpuModel, data, { laneSize: 500, threads: 2, mix: level(4) });
    const async = await cpu!.compressFrameAsync(cpuModel, data, { laneSize: 500, threads: 2, mix: level(4) });
    expect(same(async, sync)).toBe(true);
    expect(same(await cpu!.decompressFrameAsync(cpuModel, async, { threads: 2 }), data)).toBe(true);
    // Long enough to be running when aborted: 4 MiB at level 6 takes seconds.
    const big = new Uint8Array(4 << 20);
    for (let i = 0; i < big.length; i += data.length) big.set(data.subarray(0, Math.min(data.length, big.length - i)), i);
    const ac = new AbortController();
    const t0 = Date.now();
    const job = cpu!.compressFrameAsync(cpuModel, big, { laneSize: 1 << 21, threads: 2, mix: level(6), signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
