/**
 * Compression levels in the API (issue 12, item 4): the `level` option is
 * validated in every call, turned into each frame's method and parameter
 * block (level 1: method 1, today's bytes; 2..9: method 2 with the level's
 * block, whose byte 7 names the level) and lane size; inspect() reports a
 * frame's method, level, experts and lanes; a method-2 frame without the
 * network decodes without its model. The engine-level tests use the ts
 * engine (the reference; the engine matrix holds the others to its bytes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { ArchiveTally } from '../src/format/archive.js';
import { DEFAULT_LANE_SIZE, FRAME_HEADER_SIZE, MAX_LANE_SIZE, parseFrameHeader, writeFrame } from '../src/format/frame.js';
import {
  DEFAULT_LEVEL, EXPERT_BITS, type MixParams, expertNames, fitToLane, levelParams, mixLaneSize, writeMixParams,
} from '../src/format/mix-params.js';
import { frameOptions, modelForFrame, resolveOptions } from '../src/options.js';
import { selectEngine } from '../src/engine/select.js';
import { generatedText, makeRandomModel } from './helpers.js';

const golden = join(__dirname, 'fixtures', 'golden');
const goldenModel = nnc.loadModel(join(golden, 'model.nncm'));
const other = makeRandomModel(32).model;
const code = (code: string) => expect.objectContaining({ code });

/** Method byte and parameter block of an archive's first frame. */
const method = (archive: Uint8Array): number => archive[5];
const laneSizeOf = (archive: Uint8Array): number => Buffer.from(archive).readUInt32LE(20);
const block = (archive: Uint8Array): Uint8Array => archive.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + 8);

/**
 * A structurally valid method-2 frame with any parameter block (its lanes
 * are not a real coding: for what reads headers and blocks only, and for the
 * model decision, which comes before any decoding).
 */
function mixedFrame(p: MixParams, contentSize: number, laneSize: number, modelId: string): Uint8Array {
  const lanes = Math.ceil(contentSize / laneSize);
  const table = Buffer.alloc(4 * lanes);
  for (let i = 0; i < lanes; i++) table.writeUInt32LE(4, 4 * i);
  return writeFrame(2, modelId, contentSize, laneSize, [writeMixParams(p), table, Buffer.alloc(4 * lanes, 0x55)], 0x1234n);
}

function archiveOf(...frames: Uint8Array[]): Buffer {
  const t = new ArchiveTally();
  for (const f of frames) t.addFrame(f);
  return Buffer.concat([...frames, t.endRecord()]);
}

describe('the level option', () => {
  it('is an integer from 1 to 9, in every compressing call', async () => {
    for (const level of [0, 10, 2.5, '6', NaN, null]) {
      const opts = { level } as unknown as nnc.CompressOptions;
      expect(() => nnc.compressSync('x', opts), String(level)).toThrow(code('ERR_NNC_INVALID_ARG'));
      await expect(nnc.compress('x', opts)).rejects.toMatchObject({ code: 'ERR_NNC_INVALID_ARG' });
      expect(() => nnc.createCompressStream(opts)).toThrow(code('ERR_NNC_INVALID_ARG'));
    }
    expect(() => nnc.compressSync('x', { level: 0 })).toThrow('Expected an integer from 1 to 9 for level but received 0');
  });

  it('is accepted and ignored when decompressing (checked as node:zlib checks it)', async () => {
    // One options object serves both directions.
    const opts: nnc.CompressOptions = { engine: 'ts', level: 1 };
    const packed = nnc.compressSync('level one', opts);
    expect(nnc.decompressSync(packed, opts).toString()).toBe('level one');
    const [nine, eleven]: nnc.CompressOptions[] = [{ ...opts, level: 9 }, { ...opts, level: 11 }];
    expect((await nnc.decompress(packed, nine)).toString()).toBe('level one');
    expect(() => nnc.decompressSync(packed, eleven)).toThrow(code('ERR_NNC_INVALID_ARG'));
  });

  it('defaults to 6, and chooses method, parameter block and lane size per frame', () => {
    expect(nnc.DEFAULT_LEVEL).toBe(6);
    const at = (o: nnc.CompressOptions, n: number) => frameOptions(resolveOptions(o), n);
    // Tables fitted to the largest lane (FORMAT.md 4.3): 1000 bytes need 2^11 buckets, not the level's 2^16.
    expect(at({}, 1000)).toMatchObject({ laneSize: 1 << 20, mix: { ...levelParams(DEFAULT_LEVEL), hb: 11, mb: 12, a2b: 13 } });
    expect(at({}, 4 << 20).mix).toEqual(levelParams(DEFAULT_LEVEL));
    expect(at({ level: 9 }, 4 << 20).mix).toEqual(levelParams(9));
    expect(at({ level: 9 }, 1 << 16).mix).toMatchObject({ hb: 17, mb: 16, a2b: 16 });
    // Level 1: method 1 (no block) in today's lanes.
    expect(at({ level: 1 }, 5 << 20)).toEqual({ laneSize: DEFAULT_LANE_SIZE, threads: expect.any(Number), signal: undefined });
    // Levels 2..9: half the frame, at least 1 MiB, at most the format's 2^24 (a 64 MiB frame).
    expect(at({ level: 2 }, 5 << 20).laneSize).toBe(mixLaneSize(5 << 20));
    expect(at({ level: 2 }, 5 << 20).laneSize).toBe(2.5 * (1 << 20));
    expect(at({ level: 9, frameSize: 1 << 26 }, 1 << 26).laneSize).toBe(MAX_LANE_SIZE);
    // An explicit lane size is used as given, at every level.
    expect(at({ level: 1, laneSize: 300 }, 5000).laneSize).toBe(300);
    expect(at({ level: 7, laneSize: 300 }, 5000)).toMatchObject({ laneSize: 300, mix: fitToLane(levelParams(7)!, 300) });
    expect(fitToLane(levelParams(7)!, 300)).toMatchObject({ hb: 10, mb: 12, a2b: 12 });
  });
});

describe('frames per level (ts engine)', () => {
  const data = Buffer.from(generatedText(3000, 5));

  it('level 1 writes exactly what nnc wrote before levels (the golden archives at the default lane size)', () => {
    const names = ['single-lane', 'one-byte', 'stored', 'empty'];
    for (const name of names) {
      const spec = JSON.parse(readFileSync(join(golden, `${name}.json`), 'utf8'));
      expect([name, spec.laneSize, spec.frameSize]).toEqual([name, DEFAULT_LANE_SIZE, null]);
      const content = readFileSync(join(golden, `${name}.bin`));
      const archive = readFileSync(join(golden, `${name}.nnc`));
      expect(nnc.compressSync(content, { model: goldenModel, engine: 'ts', level: 1 }).equals(archive), name).toBe(true);
    }
    const one = nnc.compressSync(data, { engine: 'ts', level: 1 });
    expect([method(one), laneSizeOf(one)]).toEqual([1, DEFAULT_LANE_SIZE]);
  });

  it.each([2, 3, 4, 5, 6, 7, 8, 9])('level %i writes method 2 with its parameter block (byte 7: the level), and decodes', (level) => {
    const packed = nnc.compressSync(data, { engine: 'ts', level });
    expect(method(packed)).toBe(2);
    expect(Buffer.from(block(packed))).toEqual(Buffer.from(writeMixParams(fitToLane(levelParams(level)!, data.length))));
    expect(block(packed)[7]).toBe(level);
    expect(laneSizeOf(packed)).toBe(1 << 20);
    expect(nnc.decompressSync(packed, { engine: 'ts' }).equals(data)).toBe(true);
    const [f] = nnc.inspect(packed).frames;
    expect(f).toMatchObject({ method: 'mixed', level, experts: expertNames(levelParams(level)!.mask), needsModel: true, lanes: 1 });
  });

  it('the default is level 6, in the Buffer APIs and the stream alike', async () => {
    const sync = nnc.compressSync(data, { engine: 'ts' });
    expect([method(sync), block(sync)[7]]).toEqual([2, 6]);
    expect((await nnc.compress(data, { engine: 'ts' })).equals(sync)).toBe(true);
    const parts: Buffer[] = [];
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), nnc.createCompressStream({ engine: 'ts' }), async function* (s) {
      for await (const c of s) parts.push(c as Buffer);
    });
    expect(Buffer.concat(parts).equals(sync)).toBe(true);
    // The stream and the callback style take the level too.
    const nine = nnc.compressSync(data, { engine: 'ts', level: 9 });
    const viaCallback = await new Promise<Buffer>((resolve, reject) =>
      nnc.compress(data, { engine: 'ts', level: 9 }, (e, out) => (e ? reject(e) : resolve(out!))),
    );
    expect(viaCallback.equals(nine)).toBe(true);
  });

  it('an explicit lane size is used at level 2 and above; each frame gets its own lanes', () => {
    const packed = nnc.compressSync(data, { engine: 'ts', level: 3, laneSize: 1000, frameSize: 2000 });
    const frames = nnc.inspect(packed).frames;
    expect(frames.map((f) => [f.method, f.level, f.laneSize, f.lanes, f.contentSize])).toEqual([
      ['mixed', 3, 1000, 2, 2000],
      ['mixed', 3, 1000, 1, 1000],
    ]);
    expect(nnc.decompressSync(packed, { engine: 'ts' }).equals(data)).toBe(true);
  });

  it('a method-2 frame without the network decodes with any model; with it, only with its own', () => {
    const ts = selectEngine('ts');
    const model = nnc.loadModel(nnc.defaultModelPath()).for(ts);
    const p = levelParams(3)!;
    const noNet = { ...p, mask: p.mask & ~EXPERT_BITS.net, level: 0 };
    const without = archiveOf(ts.compressFrame(model, data, { laneSize: 1 << 20, mix: noNet, threads: 1 }));
    expect(method(without)).toBe(2);
    expect(nnc.inspect(without).frames[0]).toMatchObject({ method: 'mixed', level: 0, needsModel: false });
    expect(nnc.decompressSync(without, { model: other, engine: 'ts' }).equals(data)).toBe(true);
    // A model that is not bundled: decoders find bundled ones by ID whatever model is given.
    const withNet = nnc.compressSync(data, { engine: 'ts', level: 3, model: goldenModel });
    expect(() => nnc.decompressSync(withNet, { model: other, engine: 'ts' })).toThrow(code('ERR_NNC_MODEL_MISMATCH'));
  });
});

describe('the model decision and inspect() read the parameter block', () => {
  const id = 'c349b2f8a16b322c';
  const six = levelParams(6)!;
  const noNet: MixParams = { ...six, mask: six.mask & ~EXPERT_BITS.net };

  it('modelForFrame: no model for a mixed frame without the network, the frame\'s model otherwise', () => {
    const r = resolveOptions({ model: other, modelPath: [] });
    const frame = (p: MixParams) => {
      const bytes = mixedFrame(p, 5000, 4096, id);
      return { bytes, header: parseFrameHeader(bytes), at: 0 };
    };
    expect(modelForFrame(r, frame(noNet))).toBeNull();
    expect(() => modelForFrame(r, frame(six))).toThrow(code('ERR_NNC_MODEL_MISMATCH'));
  });

  it('inspect(): each frame\'s method, level, experts, tables and lanes', () => {
    const stored = nnc.compressSync(Buffer.alloc(0), { level: 1 });
    const archive = archiveOf(mixedFrame(six, 5000, 4096, id), mixedFrame({ ...noNet, level: 0 }, 100, 100, id), stored.subarray(0, 36));
    const info = nnc.inspect(archive);
    expect(info.frames).toEqual([
      {
        method: 'mixed', level: 6, experts: expertNames(six.mask), tables: { hb: 16, mb: 18, a2b: 14 }, needsModel: true,
        modelId: id, contentSize: 5000, laneSize: 4096, lanes: 2, payloadSize: 8 + 16, frameSize: 36 + 24,
      },
      expect.objectContaining({ method: 'mixed', level: 0, needsModel: false, lanes: 1 }),
      expect.objectContaining({ method: 'stored', level: null, needsModel: false, lanes: 0, contentSize: 0 }),
    ]);
    expect(info.frames[0].experts).toContain('r2');
    expect(info.frames[1].experts).not.toContain('net');
    const one = nnc.compressSync(generatedText(2000, 3), { engine: 'ts', level: 1 });
    expect(nnc.inspect(one).frames[0]).toMatchObject({ method: 'neural', level: 1, needsModel: true, lanes: 1 });
  });

  it('a damaged parameter block fails inspect() and every decoder with the block\'s code, before any model is needed', async () => {
    const newer = archiveOf(mixedFrame({ ...six, mask: six.mask | (1 << 20) }, 5000, 4096, id));
    const badSize = archiveOf(mixedFrame({ ...six, hb: 19 }, 5000, 4096, id));
    for (const [bytes, want] of [[newer, 'ERR_NNC_UNSUPPORTED'], [badSize, 'ERR_NNC_CORRUPT']] as const) {
      expect(() => nnc.inspect(bytes)).toThrow(code(want));
      // A model that is not the frame's: the block's error comes first.
      expect(() => nnc.decompressSync(bytes, { model: other, engine: 'ts' })).toThrow(code(want));
      await expect(nnc.decompress(bytes, { model: other, engine: 'ts' })).rejects.toMatchObject({ code: want });
      await expect(pipeline(Readable.from([bytes]), nnc.createDecompressStream({ model: other, engine: 'ts' }), async function* (s) {
        for await (const c of s) void c;
      })).rejects.toMatchObject({ code: want });
    }
    expect(() => nnc.inspect(badSize)).toThrow('HB = 19 (expected 10..18) (frame at byte 0)');
  });
});
