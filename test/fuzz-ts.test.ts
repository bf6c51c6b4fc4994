/**
 * Property-based fuzzing of the TypeScript engine (and, where the addon is
 * built, of the cpu engine against it): random and mutated archives and
 * models must fail with a format error code (never a TypeError, a RangeError
 * or ERR_NNC_INTERNAL), identically on both engines and through the stream
 * API, or decode to the same bytes; valid inputs round-trip
 * deterministically. The native decoders have libFuzzer targets of their
 * own (native/fuzz, scripts/fuzz.sh).
 *
 * NNC_FUZZ_RUNS sets the runs per property (default 60; `npm run fuzz`
 * uses 2000). NNC_FUZZ_SEED replays a failure that fast-check reported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NncError, compressSync, createDecompressStream, decompressSync, loadModel } from '../src/index.js';
import { selectEngine } from '../src/engine/select.js';
import { serializeModel } from '../src/format/model-file.js';
import { randomModel } from './support/random.js';
import { sampleFromModel } from './support/sample.js';
import { xxh64 } from '../src/xxhash64.js';
import { availableEngines as engines, reportUnavailable } from './support/engines.js';

const RUNS = Number(process.env.NNC_FUZZ_RUNS ?? 60);
const SEED = process.env.NNC_FUZZ_SEED ? Number(process.env.NNC_FUZZ_SEED) : undefined;
const params = { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) };

const FORMAT_CODES = new Set([
  'ERR_NNC_TRUNCATED', 'ERR_NNC_CORRUPT', 'ERR_NNC_CHECKSUM', 'ERR_NNC_UNSUPPORTED', 'ERR_NNC_MODEL_MISMATCH',
]);

const golden = join(__dirname, 'fixtures', 'golden');
const goldenModel = loadModel(join(golden, 'model.nncm'));
const tinyTensors = randomModel(4242, { k: 2, E: 2, hidden: [4], alphabetBytes: 3, expLength: 16 });
const tinyModel = loadModel(serializeModel(tinyTensors, { name: 'tiny' }));
const models = [goldenModel, tinyModel];

/** Valid archives of several shapes to mutate. */
const seeds: Buffer[] = [
  readFileSync(join(golden, 'lanes-100.nnc')),
  readFileSync(join(golden, 'multi-frame.nnc')),
  readFileSync(join(golden, 'escapes.nnc')),
  readFileSync(join(golden, 'stored.nnc')),
  compressSync(sampleFromModel(tinyTensors, 600, 3, 50), { model: tinyModel, engine: 'ts', laneSize: 50, frameSize: 250, level: 1 }),
  compressSync(sampleFromModel(tinyTensors, 300, 4, 1), { model: tinyModel, engine: 'ts', laneSize: 1, level: 1 }),
  // Method 2 (the default level), two frames of two lanes.
  compressSync(sampleFromModel(tinyTensors, 600, 5, 150), { model: tinyModel, engine: 'ts', laneSize: 150, frameSize: 300 }),
];

/** The outcome of a call: the output's hex digest or the error code; anything but NncError fails the test. */
function outcome(f: () => Uint8Array): string {
  try {
    return 'OK:' + Buffer.from(f()).toString('base64');
  } catch (e) {
    if (!(e instanceof NncError)) throw new Error(`not an NncError: ${(e as Error)?.stack ?? String(e)}`);
    return e.code;
  }
}

/** Decode with every engine (the model the first frame names, if loaded); all must agree. */
function decodeEverywhere(bytes: Uint8Array): string {
  const id = bytes.length >= 16 ? Buffer.from(bytes.subarray(8, 16)).readBigUInt64LE().toString(16).padStart(16, '0') : '';
  const model = models.find((m) => m.id === id) ?? goldenModel;
  const results = engines.map((engine) => outcome(() => decompressSync(bytes, { model, engine })));
  for (const r of results) expect(r).toBe(results[0]);
  if (!results[0].startsWith('OK:')) expect(FORMAT_CODES).toContain(results[0]);
  return results[0];
}

/** A mutation of a valid archive: the kinds of damage files actually suffer, and hostile field values. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }),
  fc.record({
    kind: fc.constant('field' as const),
    // The u32 header fields (N, laneSize, B) and the first lane table entries.
    at: fc.constantFrom(16, 20, 24, 28, 32, 36),
    value: fc.oneof(fc.constantFrom(0, 1, 3, 4, 0xffffffff, 2 ** 24, 2 ** 24 + 1, 2 ** 26, 2 ** 26 + 1, 2 ** 31), fc.nat()),
  }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(src);
  const at = 'at' in m ? m.at % Math.max(1, b.length) : 0;
  switch (m.kind) {
    case 'flip': b[at] ^= 1 << m.bit; return b;
    case 'byte': b[at] = m.value; return b;
    case 'truncate': return b.subarray(0, at);
    case 'insert': return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case 'delete': return Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    case 'field': if (m.at + 4 <= b.length) b.writeUInt32LE(m.value >>> 0, m.at); return b;
    case 'append': return Buffer.concat([b, m.bytes]);
  }
}

async function streamOutcome(bytes: Uint8Array, chunk: number): Promise<string> {
  const model = models.find((m) => bytes.length >= 16 && m.id === Buffer.from(bytes.subarray(8, 16)).readBigUInt64LE().toString(16).padStart(16, '0')) ?? goldenModel;
  const parts = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(chunk * i, chunk * i + chunk));
  const out: Buffer[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => { out.push(c); cb(); } });
  try {
    await pipeline(Readable.from(parts), createDecompressStream({ model, engine: 'ts' }), sink);
    return 'OK:' + Buffer.concat(out).toString('base64');
  } catch (e) {
    if (!(e instanceof NncError)) throw e;
    return e.code;
  }
}

describe(`fuzz: engines ${engines.join(' × ')}, ${RUNS} runs per property`, () => {
  reportUnavailable('fuzz');
  it('random bytes as an archive: a format error code, the same on every engine', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (raw, withMagic) => {
        const bytes = withMagic ? Buffer.concat([Buffer.from([0x89, 0x4e, 0x4e, 0x43, 1]), raw]) : raw;
        const r = decodeEverywhere(bytes);
        // Nothing random decodes, except by building a valid frame by chance (checksummed: no).
        expect(r.startsWith('OK:')).toBe(false);
      }),
      params,
    );
  });

  it('mutated valid archives: same outcome on every engine and through the stream API', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 64 }),
        async (which, ms, chunk) => {
          const bytes = ms.reduce(mutate, seeds[which]);
          const r = decodeEverywhere(bytes);
          expect(await streamOutcome(bytes, chunk)).toBe(r);
        },
      ),
      params,
    );
  });

  it('concatenations of valid archives decode to the concatenated contents', () => {
    // seeds[0..3] are golden-model archives, the others tiny-model ones.
    const contents = seeds.map((s, i) => decompressSync(s, { model: i < 4 ? goldenModel : tinyModel }));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: seeds.length - 1 }), { minLength: 1, maxLength: 4 }), (picks) => {
        // Archives of one model only: a decoder takes one model.
        const idx = picks.filter((i) => (i < 4) === (picks[0] < 4));
        const archive = Buffer.concat(idx.map((i) => seeds[i]));
        const model = idx[0] < 4 ? goldenModel : tinyModel;
        for (const engine of engines) {
          expect(decompressSync(archive, { model, engine }).equals(Buffer.concat(idx.map((i) => contents[i])))).toBe(true);
        }
      }),
      params,
    );
  });

  it('random and mutated models: the same code in every loader, or the same model', () => {
    const base = Buffer.from(serializeModel(randomModel(77, { k: 2, E: 2, hidden: [4, 3], alphabetBytes: 5, expLength: 8 })));
    const modelOutcome = (f: () => { id: string }): string => {
      try {
        return 'OK:' + f().id;
      } catch (e) {
        if (!(e instanceof NncError)) throw new Error(`not an NncError: ${(e as Error)?.stack ?? String(e)}`);
        return e.code;
      }
    };
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 0, maxLength: 3 }), fc.boolean(), (ms, reseal) => {
        const bytes = ms.reduce(mutate, base);
        // Resealing recomputes the checksum, so mutations reach the canonical section.
        if (reseal && bytes.length >= 24) {
          bytes.writeUInt32LE(Math.max(0, bytes.length - 24 - bytes.readUInt32LE(12)), 8);
          bytes.writeBigUInt64LE(xxh64(bytes.subarray(0, bytes.length - 8)), bytes.length - 8);
        }
        const results = [modelOutcome(() => loadModel(bytes)), ...engines.map((e) => modelOutcome(() => selectEngine(e).loadModel(bytes)))];
        for (const r of results) expect(r).toBe(results[0]);
        if (!results[0].startsWith('OK:')) expect(['ERR_NNC_BAD_MODEL', 'ERR_NNC_UNSUPPORTED']).toContain(results[0]);
      }),
      params,
    );
  });

  it('valid inputs round-trip, and compressing twice gives the same archive', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 1500 }), fc.integer({ min: 0, max: 1500 }).map((n) => sampleFromModel(tinyTensors, n, n, 64))),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(0, 1),
        (data, laneSize, frameSize, which) => {
          const model = models[which];
          // Level 1 (method 1): lanes down to 1 byte each reset a method-2 stage's tables (tens of MiB) per byte.
          const a = compressSync(data, { model, engine: 'ts', laneSize, frameSize, level: 1 });
          expect(compressSync(data, { model, engine: 'ts', laneSize, frameSize, level: 1 }).equals(a)).toBe(true);
          for (const engine of engines) expect(decompressSync(a, { model, engine }).equals(Buffer.from(data))).toBe(true);
        },
      ),
      params,
    );
  });
});
