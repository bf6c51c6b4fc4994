/**
 * Frame method 2 ("mixed", docs/FORMAT.md section 5) in the reference
 * engine: round trips at every level, the binary coder against the stage's
 * own probabilities, the stored fallback, lanes as independent fresh stages,
 * and every class of damage failing with its code (never a hang or a crash).
 * Inputs are small: the TS stage costs ~10–20 µs per byte.
 */
import { describe, expect, it } from 'vitest';
import { tsEngine } from '../src/engine/ts/index.js';
import { MixStage, mixConfigOf } from '../src/engine/ts/mix/stage.js';
import { NetworkBits } from '../src/engine/ts/mix/network.js';
import { Predictor } from '../src/engine/ts/predictor.js';
import {
  FRAME_HEADER_SIZE, METHOD_MIXED, METHOD_NEURAL, METHOD_STORED, parseFrameHeader,
} from '../src/format/frame.js';
import { EXPERT_BITS, type MixParams, levelParams } from '../src/format/mix-params.js';
import { codeOf, generatedText, makeRandomModel, modelData, randomBytes, repeatedText } from './helpers.js';

const tm = makeRandomModel(31, { k: 6, E: 4, hidden: [24, 16], alphabetBytes: 60 });
const em = tsEngine.loadModel(tm.bytes);
const other = tsEngine.loadModel(makeRandomModel(32, { k: 6, E: 4, hidden: [24, 16], alphabetBytes: 60 }).bytes);
const predictor = new Predictor(tm.tensors);

const level = (l: number): MixParams => levelParams(l)!;
const encode = (data: Uint8Array, laneSize: number, mix: MixParams, model = em) => tsEngine.compressFrame(model, data, { laneSize, threads: 1, mix });
const decode = (frame: Uint8Array, model = em) => tsEngine.decompressFrame(model, frame, { threads: 1 });
const roundTrip = (data: Uint8Array, laneSize: number, mix: MixParams): Uint8Array => {
  const frame = encode(data, laneSize, mix);
  expect(Buffer.from(decode(frame)).equals(Buffer.from(data))).toBe(true);
  return frame;
};
/** The level-6 block with the network input off (a frame that needs no model). */
const noNet: MixParams = { ...level(6), mask: level(6).mask & ~EXPERT_BITS.net };

// Inputs: text, repetitive (a block repeated with a few mutations), the model's
// own distribution with bytes outside its alphabet mixed in.
const text = generatedText(1500, 3);
const repetitive = repeatedText(300, 5, 10);
const outside = (() => {
  const out = modelData(tm, 1200, 6);
  const escapes = [...Array(256).keys()].filter((b) => predictor.tokenOf[b] === predictor.ESC);
  for (let i = 0; i < out.length; i += 3) out[i] = escapes[i % escapes.length];
  return out;
})();

describe('ts engine, method 2 (mixed frames)', () => {
  it.each([2, 3, 4, 5, 6, 7, 8, 9])('level %i: text, repetitive and out-of-alphabet data round-trip through several lanes', (l) => {
    // Levels 8 and 9 reset 120–240 MiB of tables per lane: one input there.
    const inputs = l >= 8 ? [repetitive] : [text, repetitive, outside];
    for (const data of inputs) {
      const frame = roundTrip(data, 500, level(l));
      const h = parseFrameHeader(frame);
      expect([h.method, h.laneSize, Math.ceil(h.contentSize / h.laneSize)]).toEqual([METHOD_MIXED, 500, 3]);
      // The parameter block is the level's, level byte included.
      expect([...frame.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + 8)]).toEqual([
        level(l).mask & 255, (level(l).mask >> 8) & 255, (level(l).mask >> 16) & 255, 0, level(l).hb, level(l).mb, level(l).a2b, l,
      ]);
    }
  });

  it('one-byte lanes and a lane of one byte at the end round-trip', () => {
    roundTrip(repetitive.subarray(0, 40), 1, noNet); // stored: 40 lanes cannot shrink 40 bytes
    const frame = roundTrip(repetitive, 1499, level(2));
    expect(parseFrameHeader(frame).method).toBe(METHOD_MIXED);
  });

  it('each lane stream costs what its bits cost: Σ −log2 p of the stage fed with the network, within the coder overhead', () => {
    const data = text.subarray(0, 800);
    const frame = encode(data, 800, level(6));
    expect(parseFrameHeader(frame).method).toBe(METHOD_MIXED);
    const lane = frame.length - FRAME_HEADER_SIZE - 8 - 4 - 8; // header, block, table, trailer
    // The stage's own probabilities (design note 8), independently of the coder.
    const nb = new NetworkBits(predictor.tokenOf, predictor.ESC);
    const ctx = predictor.newContext();
    const f = new Uint32Array(predictor.A);
    const net = new Uint16Array(data.length * 8);
    data.forEach((b, i) => {
      predictor.frequencies(ctx.inputs(), f);
      nb.load(f);
      for (let j = 0, c0 = 1; j < 8; j++) {
        net[8 * i + j] = nb.p(c0);
        c0 = (c0 << 1) | ((b >> (7 - j)) & 1);
      }
      ctx.push(b);
    });
    const p = MixStage.probabilities(mixConfigOf(level(6)), data, net);
    let bits = 0;
    p.forEach((pi, k) => (bits -= Math.log2(((data[k >> 3] >> (7 - (k & 7))) & 1 ? pi : 4096 - pi) / 4096)));
    // rANS with 16-bit frequencies (16·p) costs the ideal length plus the 4-byte final state, give or take a byte.
    expect(Math.abs(lane - (4 + bits / 8))).toBeLessThan(3);
  });

  it('a lane codes as a fresh stage: the second lane of a frame equals that lane coded alone', () => {
    const two = encode(text.subarray(0, 1000), 500, level(5));
    const alone = encode(text.subarray(500, 1000), 500, level(5));
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    const at = FRAME_HEADER_SIZE + 8;
    const [s0, s1] = [dv(two).getUint32(at, true), dv(two).getUint32(at + 4, true)];
    const s = dv(alone).getUint32(at, true);
    expect(s1).toBe(s);
    expect(Buffer.from(two.subarray(at + 8 + s0, at + 8 + s0 + s1)).equals(Buffer.from(alone.subarray(at + 4, at + 4 + s)))).toBe(true);
  });

  it('method 2 is smaller than method 1 on repetitive text the network alone codes (match model, adaptive contexts)', () => {
    const block = modelData(tm, 600, 7);
    const data = new Uint8Array(1800);
    for (let i = 0; i < 3; i++) data.set(block, 600 * i);
    const m1 = tsEngine.compressFrame(em, data, { laneSize: 65536, threads: 1 });
    const m2 = roundTrip(data, 65536, level(6));
    expect(parseFrameHeader(m1).method).toBe(METHOD_NEURAL);
    expect(parseFrameHeader(m2).method).toBe(METHOD_MIXED);
    expect(m2.length).toBeLessThan(0.6 * m1.length);
  });

  it('random data and empty content are stored; the stored frame needs no model', () => {
    const data = randomBytes(1000, 8);
    const frame = roundTrip(data, 300, level(6));
    expect(parseFrameHeader(frame).method).toBe(METHOD_STORED);
    expect(Buffer.from(tsEngine.decompressFrame(null, frame, { threads: 1 })).equals(Buffer.from(data))).toBe(true);
    expect(parseFrameHeader(roundTrip(new Uint8Array(0), 300, level(6))).method).toBe(METHOD_STORED);
  });

  it('without the network input the model is not needed: decodes with no model, or another one', () => {
    const frame = roundTrip(text, 700, noNet);
    expect(parseFrameHeader(frame).method).toBe(METHOD_MIXED);
    for (const m of [null, other]) expect(Buffer.from(tsEngine.decompressFrame(m, frame, { threads: 1 })).equals(Buffer.from(text))).toBe(true);
    // A mask of 0 (the bias alone) is valid: p = 2047 for every bit, about 8 bits a byte, so it is stored here.
    roundTrip(text, 700, { mask: 0, hb: 0, mb: 0, a2b: 0, level: 0 });
  });

  it('with the network input the model must be the frame\'s: another is MODEL_MISMATCH, none is INVALID_ARG', () => {
    const frame = encode(text, 700, level(2));
    expect(codeOf(() => decode(frame, other))).toBe('ERR_NNC_MODEL_MISMATCH');
    expect(codeOf(() => tsEngine.decompressFrame(null, frame, { threads: 1 }))).toBe('ERR_NNC_INVALID_ARG');
  });

  it('a bad parameter block from the caller is INVALID_ARG, even where the frame would be stored', () => {
    const bad: MixParams[] = [
      { ...level(6), hb: 9 },
      { ...level(6), a2b: 0 },
      { ...level(6), mb: 12, mask: level(6).mask & ~EXPERT_BITS.match },
      { ...level(6), mask: level(6).mask | (1 << 20) },
      { ...level(6), level: 10 },
      { ...level(6), hb: 16.5 },
      { ...level(6), mask: -1 },
    ];
    for (const mix of bad) {
      expect(codeOf(() => encode(text, 700, mix))).toBe('ERR_NNC_INVALID_ARG');
      expect(codeOf(() => encode(randomBytes(100, 9), 700, mix))).toBe('ERR_NNC_INVALID_ARG');
    }
  });

  describe('damage', () => {
    const good = encode(text, 500, level(6));
    const P = FRAME_HEADER_SIZE; // the payload's start: the parameter block
    const edit = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    it.each<[string, string, (b: Buffer) => void]>([
      ['HB out of range', 'ERR_NNC_CORRUPT', (b) => (b[P + 4] = 19)],
      ['HB below range', 'ERR_NNC_CORRUPT', (b) => (b[P + 4] = 9)],
      ['MB for a match model that is off', 'ERR_NNC_CORRUPT', (b) => b.writeUInt32LE(b.readUInt32LE(P) & ~EXPERT_BITS.match, P)],
      ['A2B over 16', 'ERR_NNC_CORRUPT', (b) => (b[P + 6] = 17)],
      ['level byte 10', 'ERR_NNC_CORRUPT', (b) => (b[P + 7] = 10)],
      ['unknown expert bit 17', 'ERR_NNC_UNSUPPORTED', (b) => (b[P + 2] |= 2)],
      ['unknown expert bit 31', 'ERR_NNC_UNSUPPORTED', (b) => (b[P + 3] |= 0x80)],
      ['lane table sum too large', 'ERR_NNC_CORRUPT', (b) => b.writeUInt32LE(b.readUInt32LE(P + 8) + 1, P + 8)],
      ['lane table sum too small', 'ERR_NNC_CORRUPT', (b) => b.writeUInt32LE(b.readUInt32LE(P + 16) - 1, P + 16)],
      ['lane bytes moved between lanes', 'ERR_NNC_CORRUPT', (b) => { b.writeUInt32LE(b.readUInt32LE(P + 8) + 1, P + 8); b.writeUInt32LE(b.readUInt32LE(P + 12) - 1, P + 12); }],
      ['lane stream under 4 bytes', 'ERR_NNC_CORRUPT', (b) => b.writeUInt32LE(3, P + 8)],
      ['lane state below 2^23', 'ERR_NNC_CORRUPT', (b) => b.writeUInt32LE(0x7fffff, P + 20)],
      ['method 2 in a version-1 frame', 'ERR_NNC_UNSUPPORTED', (b) => (b[4] = 1)],
      ['lane table larger than the payload (header check)', 'ERR_NNC_CORRUPT', (b) => b.writeUInt32LE(1, 20)],
    ])('%s: %s', (_name, code, f) => {
      expect(codeOf(() => decode(edit(f)))).toBe(code);
    });

    it('a flipped bit anywhere in the lane streams is CORRUPT or CHECKSUM, never a hang, a crash or wrong content', () => {
      const streams = P + 8 + 12;
      const end = good.length - 8;
      const seen = new Set<string>();
      for (let i = streams; i < end; i += 11) {
        const code = codeOf(() => decode(edit((b) => (b[i] ^= 1 << (i & 7)))));
        expect(['ERR_NNC_CORRUPT', 'ERR_NNC_CHECKSUM']).toContain(code);
        seen.add(code);
      }
      expect(seen.size).toBeGreaterThan(0);
    });
  });

  it('the async path (worker) writes the same bytes and decodes them', async () => {
    const sync = encode(outside, 400, level(4));
    const async = await tsEngine.compressFrameAsync(em, outside, { laneSize: 400, threads: 1, mix: level(4) });
    expect(Buffer.from(async).equals(Buffer.from(sync))).toBe(true);
    expect(Buffer.from(await tsEngine.decompressFrameAsync(null, encode(text, 700, noNet), { threads: 1 })).equals(Buffer.from(text))).toBe(true);
  });
});
