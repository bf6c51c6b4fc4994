/**
 * model 'auto' (issue 13): per frame, the writer codes a sample of the frame
 * with each candidate (the bundled models, then the search path's) at the
 * frame's own level and keeps the smallest, ties to the smallest ID
 * (docs/FORMAT.md 4.3); decoders find each frame's model by ID among the bundled models.
 *
 * The "bundled" set here is a temporary directory of small seeded models
 * (NNC_BUNDLED_MODELS), never the package's models/: which models ship is
 * not this file's business.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { serializeModel } from '../src/format/model-file.js';
import { bundledModelsDir, candidateModels } from '../src/model/bundled.js';
import { MAX_SLICE, SAMPLE_SLICES, chooseModelSync, sampleOf, sliceSize } from '../src/model/choose.js';
import { Model } from '../src/model/model.js';
import { resolveOptions } from '../src/options.js';
import { randomBytes, type TestModel } from './helpers.js';
import { availableEngines, reportUnavailable } from './support/engines.js';
import { randomModel } from './support/random.js';
import { sampleFromModel } from './support/sample.js';

/** A small seeded model whose alphabet is exactly `alphabet`'s bytes (the rest escape). */
function modelOver(seed: number, alphabet: string, name: string): TestModel {
  const bytes = [...new Set(Buffer.from(alphabet, 'latin1'))].sort((a, b) => a - b);
  const tensors = randomModel(seed, { k: 4, E: 4, hidden: [16], alphabetBytes: bytes.length, expLength: 200 });
  tensors.alphabet = Uint8Array.from(bytes); // same size: the tensors' shapes still fit
  const file = serializeModel(tensors, { name, description: `test model over ${JSON.stringify(alphabet.slice(0, 12))}` });
  return { tensors, bytes: file, model: new Model(file) };
}

const dna = modelOver(1301, 'ACGT', 'dna');
const text = modelOver(1302, 'abcdefghijklmnopqrstuvwxyz ', 'text');
const wide = modelOver(1303, Array.from({ length: 200 }, (_, i) => String.fromCharCode(i + 40)).join(''), 'wide');
/** Only in the search path. */
const extra = modelOver(1304, '0123456789,\n', 'digits');

const dnaData = Buffer.from(sampleFromModel(dna.tensors, 3000, 7));
const textData = Buffer.from(sampleFromModel(text.tensors, 3000, 8));
const digitData = Buffer.from(sampleFromModel(extra.tensors, 3000, 9));

let dir: string;
let bundled: string;
let searched: string;
const saved = { bundled: process.env.NNC_BUNDLED_MODELS, path: process.env.NNC_MODEL_PATH };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-auto-'));
  bundled = path.join(dir, 'bundled');
  searched = path.join(dir, 'searched');
  fs.mkdirSync(bundled);
  fs.mkdirSync(searched);
  for (const m of [dna, text, wide]) fs.writeFileSync(path.join(bundled, `${m.model.metadata.name}.nncm`), m.bytes);
  fs.writeFileSync(path.join(bundled, 'notes.nncm'), 'not a model: skipped, as in a search path');
  fs.writeFileSync(path.join(searched, 'digits.nncm'), extra.bytes);
  fs.writeFileSync(path.join(searched, 'dna-copy.nncm'), dna.bytes); // the same ID twice: one candidate
  process.env.NNC_BUNDLED_MODELS = bundled;
  delete process.env.NNC_MODEL_PATH;
});
afterAll(() => {
  for (const [k, v] of [['NNC_BUNDLED_MODELS', saved.bundled], ['NNC_MODEL_PATH', saved.path]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const ids = (archive: Uint8Array): string[] => nnc.inspect(archive).frames.map((f) => f.modelId);
/**
 * What the rule compares: the frame each model makes of the sample at the
 * frame's level, a lane per slice (its archive differs by the constant end
 * record; compressSync fits a method-2 block to the lane as the rule does).
 */
const sampleCost = (m: Model, content: Uint8Array, level = 1): number => {
  const mixed = level > 1;
  const o = { engine: 'ts' as const, model: m, level, laneSize: sliceSize(content.length, mixed), frameSize: MAX_SLICE * SAMPLE_SLICES };
  return nnc.compressSync(sampleOf(content, mixed), o).length;
};
/** The candidate the rule picks from `costs` (ties to the smallest ID). */
const pick = (models: readonly Model[], costs: readonly number[]): string =>
  models.filter((_, i) => costs[i] === Math.min(...costs)).map((m) => m.id).sort()[0];

describe("model 'auto'", () => {
  it('the candidates: the bundled directory (NNC_BUNDLED_MODELS) then the search path, each ID once, sorted by ID; non-models skipped', () => {
    expect(bundledModelsDir()).toBe(path.resolve(bundled));
    expect(candidateModels(bundled, []).map((m) => m.id)).toEqual([dna, text, wide].map((m) => m.model.id).sort());
    expect(candidateModels(bundled, [searched]).map((m) => m.id)).toEqual([dna, text, wide, extra].map((m) => m.model.id).sort());
  });

  it('the sample: slices of N/64 bytes within 1..16 KiB (8 KiB at levels 2..9); the whole frame up to 4 slices; beyond, 4 slices evenly spaced', () => {
    const sizes = [0, 4096, 65536 + 63, 1 << 19, 1 << 20, 4 << 20];
    expect(sizes.map((n) => sliceSize(n))).toEqual([1024, 1024, 1024, 8192, 16384, 16384]);
    expect(sizes.map((n) => sliceSize(n, true))).toEqual([1024, 1024, 1024, 8192, 8192, 8192]);
    expect(sampleOf(randomBytes(1 << 20, 5), true).length).toBe(SAMPLE_SLICES * 8192);
    const small = randomBytes(4096, 3);
    expect(sampleOf(small)).toBe(small);
    for (const n of [4097, 100_003, (1 << 20) + 5]) {
      const L = sliceSize(n);
      const big = randomBytes(n, 4);
      const s = sampleOf(big);
      expect(s.length).toBe(SAMPLE_SLICES * L);
      const starts = [0, Math.floor((n - L) / 3), Math.floor((2 * (n - L)) / 3), n - L];
      starts.forEach((at, i) => expect(Buffer.from(s.subarray(i * L, (i + 1) * L)).equals(big.subarray(at, at + L)), `${n} ${i}`).toBe(true));
    }
  });

  it('picks the model that codes the sample smallest: per frame, two frames, two models; decoded with no model given', async () => {
    const input = Buffer.concat([dnaData, textData]);
    for (const level of [1, 2]) {
      const costs = [dna, text, wide].map((m) => [sampleCost(m.model, dnaData, level), sampleCost(m.model, textData, level)]);
      // The data was drawn from each model: each codes its own best.
      expect(costs[0][0], `level ${level}`).toBeLessThan(Math.min(costs[1][0], costs[2][0]));
      expect(costs[1][1], `level ${level}`).toBeLessThan(Math.min(costs[0][1], costs[2][1]));
      const a = nnc.compressSync(input, { engine: 'ts', level, frameSize: 3000 });
      expect(ids(a)).toEqual([dna.model.id, text.model.id]);
      expect(nnc.inspect(a).frames.every((f) => f.method !== 'stored')).toBe(true);
      expect(nnc.decompressSync(a, { engine: 'ts' }).equals(input)).toBe(true);
      expect((await nnc.decompress(a, { engine: 'ts' })).equals(input)).toBe(true);
    }
  });

  it('the same archive from the sync, async and stream APIs, twice, and on every available engine', async () => {
    const input = Buffer.concat([textData, dnaData, textData.subarray(0, 1000)]);
    const opts = { level: 1, frameSize: 3000, laneSize: 1024 };
    const ref = nnc.compressSync(input, { ...opts, engine: 'ts' });
    expect(ids(ref)).toEqual([text.model.id, dna.model.id, text.model.id]);
    for (const engine of availableEngines) {
      const o = { ...opts, engine };
      expect(nnc.compressSync(input, o).equals(ref), engine).toBe(true);
      expect((await nnc.compress(input, o)).equals(ref), engine).toBe(true);
      const parts: Buffer[] = [];
      await pipeline(Readable.from([input.subarray(0, 1234), input.subarray(1234)]), nnc.createCompressStream(o), async function* (src) {
        for await (const c of src) parts.push(c as Buffer);
      });
      expect(Buffer.concat(parts).equals(ref), engine).toBe(true);
      expect(nnc.decompressSync(ref, { engine }).equals(input), engine).toBe(true);
    }
  });
  reportUnavailable("model 'auto': identical archives");

  it('the choice is the same on every available engine, for a frame larger than the sample (slices)', () => {
    // 80 KB: text in the first and last slices, DNA in the two middle ones... and more of it overall.
    const big = Buffer.concat([textData, ...Array.from({ length: 24 }, (_, i) => Buffer.from(sampleFromModel(dna.tensors, 3000, 100 + i))), textData]);
    expect(big.length).toBeGreaterThan(SAMPLE_SLICES * sliceSize(big.length));
    const candidates = [dna, text, wide].map((m) => m.model);
    for (const level of [1, 6]) {
      const expected = pick(candidates, candidates.map((m) => sampleCost(m, big, level)));
      for (const engine of availableEngines) {
        const r = resolveOptions({ engine, level });
        expect(chooseModelSync(r.engine, candidates, big, r.mix, 2).id, `${engine} level ${level}`).toBe(expected);
      }
    }
  });

  it("the choice codes the sample at the frame's level: repeated noise, a tie at level 1, goes to the network that helps the mixing stage most", async () => {
    // The network alone stores noise with every candidate (the tie goes to
    // the smallest ID); levels 2 and 6 find the repeats, and the candidates'
    // networks, one input of the mixing, then differ.
    const noise = Buffer.from(randomBytes(700, 5));
    const input = Buffer.concat([noise, noise, noise]);
    const candidates = [dna, text, wide].map((m) => m.model);
    const chosen: string[] = [];
    for (const level of [1, 2, 6]) {
      const costs = candidates.map((m) => sampleCost(m, input, level));
      if (level === 1) expect(new Set(costs).size).toBe(1);
      const a = nnc.compressSync(input, { engine: 'ts', level });
      expect(ids(a), `level ${level}`).toEqual([pick(candidates, costs)]);
      expect(ids(await nnc.compress(input, { engine: 'ts', level })), `level ${level}`).toEqual(ids(a));
      expect(nnc.decompressSync(a, { engine: 'ts' }).equals(input)).toBe(true);
      chosen.push(ids(a)[0]);
    }
    expect(chosen[1]).not.toBe(chosen[0]);
    expect(chosen[2]).not.toBe(chosen[0]);
  });

  it('ties go to the smallest model ID: data no candidate shrinks, and an empty input', () => {
    const noise = Buffer.from(randomBytes(3000, 11));
    const costs = [dna, text, wide].map((m) => sampleCost(m.model, noise));
    expect(new Set(costs).size).toBe(1); // every candidate stores it: a tie
    const smallest = [dna, text, wide].map((m) => m.model.id).sort()[0];
    expect(ids(nnc.compressSync(noise, { engine: 'ts', level: 1 }))).toEqual([smallest]);
    expect(ids(nnc.compressSync(Buffer.alloc(0), { engine: 'ts', level: 1 }))).toEqual([smallest]);
  });

  it("an explicit model disables the choice (path, bytes, Model); 'auto' is the default spelled out", () => {
    const input = Buffer.concat([dnaData, textData]);
    const o = { engine: 'ts' as const, level: 1, frameSize: 3000 };
    for (const model of [path.join(bundled, 'text.nncm'), text.bytes, text.model]) {
      expect(ids(nnc.compressSync(input, { ...o, model }))).toEqual([text.model.id, text.model.id]);
    }
    expect(nnc.compressSync(input, { ...o, model: 'auto' }).equals(nnc.compressSync(input, o))).toBe(true);
  });

  it('models in the search path take part (modelPath, NNC_MODEL_PATH), and decoding finds them there', () => {
    const o = { engine: 'ts' as const, level: 1 };
    expect(ids(nnc.compressSync(digitData, o))).not.toEqual([extra.model.id]);
    const a = nnc.compressSync(digitData, { ...o, modelPath: [searched] });
    expect(ids(a)).toEqual([extra.model.id]);
    expect(nnc.decompressSync(a, { ...o, modelPath: searched }).equals(digitData)).toBe(true);
    process.env.NNC_MODEL_PATH = searched;
    try {
      expect(nnc.compressSync(digitData, o).equals(a)).toBe(true);
    } finally {
      delete process.env.NNC_MODEL_PATH;
    }
    // Not in the bundled set nor a search path: the error says where it looked.
    const err = (() => {
      try {
        nnc.decompressSync(a, o);
      } catch (e) {
        return e as nnc.NncError;
      }
    })();
    expect(err).toMatchObject({ code: 'ERR_NNC_MODEL_MISMATCH' });
    expect(err!.message).toContain(extra.model.id);
    expect(err!.message).toContain(path.resolve(bundled));
    expect(err!.message).toContain('no model search path is set');
  });

  it('a given model with another ID still leaves the bundled models to decode with', () => {
    const a = nnc.compressSync(dnaData, { engine: 'ts', level: 1 });
    expect(ids(a)).toEqual([dna.model.id]);
    expect(nnc.decompressSync(a, { engine: 'ts', model: text.model }).equals(dnaData)).toBe(true);
  });

  it('no model to choose from is an error saying what to do; so is a damaged bundled model', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    process.env.NNC_BUNDLED_MODELS = empty;
    try {
      expect(() => nnc.compressSync(dnaData, { engine: 'ts' })).toThrow(
        expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG', message: expect.stringMatching(/no model to choose from: .*-m MODEL/) }),
      );
      expect(() => nnc.createCompressStream({ engine: 'ts' })).toThrow(expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG' }));
      const damaged = Buffer.from(dna.bytes);
      damaged[damaged.length - 1] ^= 1; // the file checksum: the header still says "model"
      fs.writeFileSync(path.join(empty, 'bad.nncm'), damaged);
      await expect(nnc.compress(dnaData, { engine: 'ts' })).rejects.toMatchObject({
        code: 'ERR_NNC_BAD_MODEL',
        message: expect.stringContaining(path.join(empty, 'bad.nncm')),
      });
    } finally {
      process.env.NNC_BUNDLED_MODELS = bundled;
    }
  });
});
