/**
 * The format v2 mixing stage's readable TypeScript twin (src/engine/ts/mix/)
 * against the C++ lab that measured it (native/tools/cmlab.cc): both compute
 * design note docs/design/format-v2-mixing.md section 8, so every coded
 * bit's 12-bit probability must be identical.
 *
 * The primitive tests need nothing. The twin tests need the nnc_cmlab binary
 * (CMake target, built by .ci/run's `cmake --build build-cmake`, since
 * NNC_BUILD_TOOLS is ON by default); NNC_CMLAB=path picks another build.
 * They run cmlab's --dump-net / --dump-bits modes on small generated inputs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Apm } from '../src/engine/ts/mix/apm.js';
import { ByteContexts } from '../src/engine/ts/mix/contexts.js';
import { COUNTER_INIT, counterCount, counterP12, counterUpdate } from '../src/engine/ts/mix/counter.js';
import { Mixer } from '../src/engine/ts/mix/mixer.js';
import { NetworkBits } from '../src/engine/ts/mix/network.js';
import { MixStage, parseMixConfig } from '../src/engine/ts/mix/stage.js';
import { RATE, STRETCH, fmix32, squash } from '../src/engine/ts/mix/tables.js';
import { Predictor } from '../src/engine/ts/predictor.js';
import { defaultModelPath } from '../src/model/model.js';
import { parseModel } from '../src/format/model-file.js';
import type { ModelTensors } from '../src/model/types.js';
import { generatedText, makeRandomModel, randomBytes, rng } from './helpers.js';

describe('mix primitives (design note 8.2–8.9)', () => {
  it('squash and stretch: the table points, monotone, and stretch inverts squash', () => {
    expect(squash(0)).toBe(2047);
    expect(squash(-2047)).toBe(1);
    expect(squash(2047)).toBe(4094);
    expect(squash(128)).toBe(2549);
    expect(squash(-5000)).toBe(1);
    for (let d = -2046; d <= 2047; d++) expect(squash(d)).toBeGreaterThanOrEqual(squash(d - 1));
    // STRETCH[p] is the smallest x with squash(x) ≥ p, so squash(stretch(p)) ≥ p on the range.
    for (let p = 1; p <= 4094; p++) {
      expect(squash(STRETCH[p])).toBeGreaterThanOrEqual(p);
      if (STRETCH[p] > -2047) expect(squash(STRETCH[p] - 1)).toBeLessThan(p);
    }
    expect(STRETCH[4095]).toBe(2047);
    expect(STRETCH[2047]).toBe(0);
  });

  it('RATE and fmix32 known values', () => {
    expect([RATE[0], RATE[1], RATE[255], RATE[1023]]).toEqual([21845, 13107, 127, 31]);
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7); // murmur3's fmix32(1)
    expect(fmix32(0xffffffff)).toBe(0x81f16f39);
  });

  it('a counter starts at 1/2, moves by 1/(n + 1.5), stays in range and stops counting at its limit', () => {
    const t = new Uint32Array([COUNTER_INIT]);
    expect(counterP12(t[0])).toBe(2048);
    counterUpdate(t, 0, 1, 3);
    // q = 2^21 + ((2^21 >> 7)·21845 >> 8) = 2097152 + 1398080
    expect(t[0] >>> 10).toBe(2097152 + ((16384 * 21845) >> 8));
    for (let i = 0; i < 5000; i++) counterUpdate(t, 0, 1, 3);
    expect(counterCount(t[0])).toBe(3);
    expect(counterP12(t[0])).toBe(4095);
    expect(t[0] >>> 10).toBeLessThanOrEqual((1 << 22) - 1);
    for (let i = 0; i < 5000; i++) counterUpdate(t, 0, 0, 3);
    expect(counterP12(t[0])).toBe(0);
  });

  it('a mixer learns to follow its best input; weights stay within ±2^20', () => {
    const m = new Mixer(3, 1, [0, 1 << 14, 1 << 14]);
    const x = new Int32Array(3);
    const r = rng(3);
    let late = 0;
    for (let i = 0; i < 4000; i++) {
      const y = r() < 0.5 ? 1 : 0;
      x[0] = 256;
      x[1] = y ? 600 : -600; // a good input
      x[2] = r() < 0.5 ? 2047 : -2047; // noise
      const p = m.predict(x, 0);
      if (i >= 3000) late += y ? 4096 - p : p;
      m.update(x, y);
    }
    expect(late / 1000).toBeLessThan(200); // mean error under 5%
    for (const w of m.w) expect(Math.abs(w)).toBeLessThanOrEqual(1 << 20);
  });

  it('an APM starts as the identity (within interpolation) and learns its context', () => {
    const a = new Apm(2);
    for (const p of [1, 100, 2048, 3000, 4095]) expect(Math.abs(a.refine(p, 1) - p)).toBeLessThanOrEqual(16);
    for (let i = 0; i < 2000; i++) {
      a.refine(2048, 0);
      a.update(1);
    }
    expect(a.refine(2048, 0)).toBeGreaterThan(4000);
    expect(a.refine(2048, 1)).toBeLessThan(2100); // context 1 untouched
  });

  it('network bits: the tree of byte masses gives the byte probability as a product', () => {
    const tm = makeRandomModel(5, { k: 4, E: 4, hidden: [16], alphabetBytes: 40 });
    const pr = new Predictor(tm.tensors);
    const f = new Uint32Array(pr.A);
    pr.frequencies(new Uint16Array(pr.k).fill(pr.PAD), f);
    const nb = new NetworkBits(pr.tokenOf, pr.ESC);
    nb.load(f);
    const root = nb.p(1);
    // P(first bit = 1) = mass of bytes 128..255 over all; within the rounding of floor.
    let m1 = 0;
    const nOut = 256 - pr.ESC;
    for (let v = 128; v < 256; v++) m1 += pr.tokenOf[v] === pr.ESC ? f[pr.ESC] : f[pr.tokenOf[v]] * nOut;
    expect(root).toBe(Math.max(1, Math.min(4095, Math.floor((m1 * 4096) / (65536 * nOut)))));
  });

  it('record length: fixed 37-byte records are found after 4 repeats and 16 votes; text finds none', () => {
    const rec = new ByteContexts();
    for (let i = 0; i < 37 * 40; i++) rec.push(i % 37 < 4 ? (i * 13) & 255 : 65 + (i % 37), i + 1);
    expect(rec.rlen).toBe(37);
    const text = new ByteContexts();
    generatedText(3000, 5).forEach((b, i) => text.push(b, i + 1));
    expect(text.rlen).not.toBe(37);
  });

  it('reset() returns every table to its start: a lane after another codes as a fresh stage', () => {
    const cfg = parseMixConfig('o1,o2,o4,w,r1,m,a,mx2,ind,n,hb=8,mb=10');
    const a = generatedText(1500, 7);
    const b = randomBytes(700, 8);
    const net = (d: Uint8Array) => Uint16Array.from({ length: d.length * 8 }, (_, i) => 1 + (((i * 2654435761) >>> 0) % 4095));
    const s = new MixStage(cfg);
    const first = s.run(a, net(a));
    s.reset();
    expect(s.run(b, net(b))).toEqual(MixStage.probabilities(cfg, b, net(b)));
    s.reset();
    expect(s.run(a, net(a))).toEqual(first);
  });

  it('the match model fires on repeated data: the stage codes a repeat at well under 1 bit per byte', () => {
    const block = randomBytes(2000, 9);
    const data = new Uint8Array(6000);
    for (let i = 0; i < 3; i++) data.set(block, i * 2000);
    const p = MixStage.probabilities(parseMixConfig('o1,o2,m,a,mx2,ind,hb=10,mb=12'), data);
    let late = 0;
    for (let i = 4000 * 8; i < p.length; i++) {
      const y = (data[i >> 3] >> (7 - (i & 7))) & 1;
      late -= Math.log2((y ? p[i] : 4096 - p[i]) / 4096);
    }
    expect(late / 2000).toBeLessThan(0.3);
  });
});

// ---------------------------------------------------------------- twin vs C++
const CMLAB = process.env.NNC_CMLAB ?? join(__dirname, '..', 'build-cmake', 'nnc_cmlab');
const haveCmlab = existsSync(CMLAB);
const why = haveCmlab ? '' : ` (skipped: no ${CMLAB}; build it with cmake --build build-cmake --target nnc_cmlab)`;

/** The network's per-bit input (8.7) for every bit of data, one lane, from the TS reference predictor. */
function netBitsOf(t: ModelTensors, data: Uint8Array): Uint16Array {
  const pr = new Predictor(t);
  const ctx = pr.newContext();
  const nb = new NetworkBits(pr.tokenOf, pr.ESC);
  const f = new Uint32Array(pr.A);
  const out = new Uint16Array(data.length * 8);
  for (let i = 0; i < data.length; i++) {
    pr.frequencies(ctx.inputs(), f);
    nb.load(f);
    let c0 = 1;
    for (let j = 0; j < 8; j++) {
      out[i * 8 + j] = nb.p(c0);
      c0 = (c0 << 1) | ((data[i] >> (7 - j)) & 1);
    }
    ctx.push(data[i]);
  }
  return out;
}

const u16 = (path: string): Uint16Array => {
  const b = readFileSync(path);
  return new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

/** Index of the first differing element, or −1. */
const firstDiff = (a: Uint16Array, b: Uint16Array): number => {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
};

const FULL = 'o1,o2,o3,o4,o5,o6,o8,w,s2,s3,s34,r1,r2,m,a,mx2,ind,n,hb=12,mb=14';
/** The fast level of the design note's section 6 (no order 1, no second mixer). */
const FAST = 'o2,o4,o6,w,s2,s34,r1,m,a,n,ind,hb=10,mb=12';
const NO_NET = 'o1,o2,o3,o4,o5,o6,o8,w,s2,s3,s34,r1,r2,m,a,mx2,ind,hb=12,mb=14';
/** Level 6's experts with a small APM2 (a2b: its context masked to 9 bits, FORMAT.md 5.1's A2B). */
const MID_A2B = 'o1,o2,o4,o6,w,s2,s34,r1,r2,m,a,mx2,ind,n,hb=12,mb=14,a2b=9';

describe.skipIf(!haveCmlab)(`mix stage twin: TS = C++ cmlab bit for bit${why}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnc-mix-twin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const records = (): Uint8Array => {
    // Fixed 37-byte records with a counter field, so the record length is detected (r1, r2).
    const out = new Uint8Array(4000);
    for (let i = 0; i < out.length; i++) out[i] = i % 37 < 4 ? (Math.floor(i / 37) * 7 + (i % 37)) & 255 : 65 + (i % 37);
    return out;
  };
  const repetitive = (): Uint8Array => {
    const block = generatedText(700, 4);
    const out = new Uint8Array(3500);
    const r = rng(8);
    for (let i = 0; i < 5; i++) out.set(block, i * 700);
    for (let i = 0; i < 30; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256); // mutations: matches end and restart
    return out;
  };

  const check = (name: string, modelBytes: Uint8Array, t: ModelTensors, data: Uint8Array, configs: string[]) => {
    const mpath = join(dir, `${name}.nncm`);
    const fpath = join(dir, `${name}.bin`);
    writeFileSync(mpath, modelBytes);
    writeFileSync(fpath, data);
    const bitsPath = join(dir, `${name}.bits`);
    const netPath = join(dir, `${name}.net`);
    execFileSync(CMLAB, ['--dump-bits', bitsPath, '--dump-net', netPath, mpath, fpath, '0', String(data.length), ...configs], {
      stdio: 'pipe',
    });
    const net = netBitsOf(t, data);
    expect(firstDiff(net, u16(netPath)), 'first bit where the network inputs differ').toBe(-1);
    const cpp = u16(bitsPath);
    expect(cpp.length).toBe(configs.length * data.length * 8);
    configs.forEach((cfg, k) => {
      const ts = MixStage.probabilities(parseMixConfig(cfg), data, net);
      const want = cpp.subarray(k * ts.length, (k + 1) * ts.length);
      expect(firstDiff(ts, want), `${name} ${cfg}: first bit that differs`).toBe(-1);
    });
  };

  const small = makeRandomModel(21, { k: 6, E: 4, hidden: [24, 16], alphabetBytes: 60 });
  it('random model: text, random, repetitive and record data, full, fast and no-network configs', () => {
    check('text', small.bytes, small.tensors, generatedText(4000, 2), [FULL, FAST, NO_NET, MID_A2B]);
    check('random', small.bytes, small.tensors, randomBytes(2000, 3), [FULL, FAST]);
    check('repeat', small.bytes, small.tensors, repetitive(), [FULL, FAST]);
    check('records', small.bytes, small.tensors, records(), [FULL, FAST]);
  });

  it('the bundled model on text', () => {
    const bytes = readFileSync(defaultModelPath());
    check('bundled', bytes, parseModel(bytes).tensors, generatedText(3000, 6), [FULL]);
  });
});
