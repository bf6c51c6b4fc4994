/**
 * Golden archives (scripts/make-golden.mjs, format version 2): every engine
 * must decode them and, from their content, write exactly the same bytes.
 * The version-1 golden archives (v1/, from nnc 0.1, frozen) must keep
 * decoding, and their bad twins keep failing with their codes.
 * Golden bad archives must fail with the named code, through every API (sync,
 * async, stream in small chunks); golden bad models likewise, in the
 * TypeScript loader and in every engine's.
 * The mixed-* archives are frame method 2 (FORMAT.md section 5), written by
 * the ts engine: every engine decodes them and writes the same frames.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, it } from 'vitest';
import {
  compressSync, createDecompressStream, decompress, decompressSync, loadModel,
} from '../src/index.js';
import { selectEngine } from '../src/engine/select.js';
import { END_RECORD_SIZE } from '../src/format/archive.js';
import { METHOD_MIXED } from '../src/format/frame.js';
import type { MixParams } from '../src/format/mix-params.js';
import { describeEachEngine } from './support/engines.js';

const dir = join(__dirname, 'fixtures', 'golden');
const v1 = join(dir, 'v1');
const model = loadModel(join(dir, 'model.nncm'));
const namesIn = (d: string) => readdirSync(d).filter((f) => f.endsWith('.nnc')).map((f) => f.slice(0, -4));
const names = namesIn(dir);
const manifestOf = (d: string) => JSON.parse(readFileSync(join(d, 'bad', 'manifest.json'), 'utf8')) as Record<string, string>;
const manifest = manifestOf(dir);
const v1Manifest = manifestOf(v1);
const modelManifest = JSON.parse(readFileSync(join(dir, 'bad-models', 'manifest.json'), 'utf8')) as Record<string, string>;

describeEachEngine('golden archives', (engine) => {
  it('the model has its pinned ID', () => {
    expect(model.id).toBe('c349b2f8a16b322c');
  });
  it.each(names)('%s decodes and re-encodes byte-identically', (name) => {
    const archive = readFileSync(join(dir, `${name}.nnc`));
    const content = readFileSync(join(dir, `${name}.bin`));
    // A golden without a level was written before levels existed: by level 1 (method 1).
    const { laneSize, frameSize, level, mix } = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    expect(decompressSync(archive, { model, engine }).equals(content)).toBe(true);
    if (mix) {
      // A parameter block no level writes (mixed-no-network): the engine writes the frame, the archive adds its end record.
      const e = selectEngine(engine);
      const frame = e.compressFrame(model.for(e), content, { laneSize, mix: mix as MixParams, threads: 1 });
      expect(Buffer.from(frame).equals(archive.subarray(0, archive.length - END_RECORD_SIZE))).toBe(true);
      return;
    }
    expect(compressSync(content, { model, engine, laneSize, frameSize: frameSize ?? undefined, level: level ?? 1 }).equals(archive)).toBe(true);
  });
  it('the mixed-* goldens are method-2 frames of several lanes, and without the network decode with any model', () => {
    const mixed = names.filter((n) => n.startsWith('mixed-'));
    expect(mixed.length).toBeGreaterThanOrEqual(3);
    for (const name of mixed) {
      const archive = readFileSync(join(dir, `${name}.nnc`));
      expect([name, archive[5], archive.readUInt32LE(16) > 2 * archive.readUInt32LE(20)]).toEqual([name, METHOD_MIXED, true]);
    }
    const other = loadModel(readFileSync(join(dir, 'bad-models', 'base.nncm')));
    const noNet = readFileSync(join(dir, 'mixed-no-network.nnc'));
    expect(decompressSync(noNet, { model: other, engine }).equals(readFileSync(join(dir, 'mixed-no-network.bin')))).toBe(true);
  });
  it.each(namesIn(v1))('v1/%s (legacy, no end record) still decodes', (name) => {
    const archive = readFileSync(join(v1, `${name}.nnc`));
    expect(archive[4]).toBe(1);
    expect(decompressSync(archive, { model, engine }).equals(readFileSync(join(v1, `${name}.bin`)))).toBe(true);
  });
  it('concatenated archives decode as the concatenation, each checked; v1 and v2 mixed', () => {
    const a = readFileSync(join(dir, 'multi-frame.nnc'));
    const b = readFileSync(join(dir, 'escapes.nnc'));
    const old = readFileSync(join(v1, 'lanes-100.nnc'));
    const want = Buffer.concat([readFileSync(join(dir, 'multi-frame.bin')), readFileSync(join(v1, 'lanes-100.bin')), readFileSync(join(dir, 'escapes.bin'))]);
    expect(decompressSync(Buffer.concat([a, old, b]), { model, engine }).equals(want)).toBe(true);
  });
  it.each([
    ...Object.entries(manifest).map(([n, c]) => [`bad/${n}`, c]),
    ...Object.entries(v1Manifest).map(([n, c]) => [`v1/bad/${n}`, c]),
  ])('%s fails with %s', (name, codes) => {
    const bytes = readFileSync(join(dir, `${name}.nnc`));
    let code: string | undefined;
    try {
      decompressSync(bytes, { model, engine });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(codes.split('|')).toContain(code);
  });
  it('every bad archive fails with the same code through decompress() and the stream API', async () => {
    const codeOf = async (f: () => Promise<unknown>) => f().then(() => 'OK', (e: { code?: string }) => e.code);
    const all = [
      ...Object.entries(manifest).map(([n, c]) => [join(dir, 'bad', n), c]),
      ...Object.entries(v1Manifest).map(([n, c]) => [join(v1, 'bad', n), c]),
    ];
    for (const [name, codes] of all) {
      const bytes = readFileSync(`${name}.nnc`);
      expect([name, await codeOf(() => decompress(bytes, { model, engine }))]).toEqual([name, codes]);
      // 7-byte chunks: headers, lane tables and checksums all straddle chunks.
      const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(7 * i, 7 * i + 7));
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      const viaStream = await codeOf(() => pipeline(Readable.from(chunks), createDecompressStream({ model, engine }), sink));
      expect([name, viaStream]).toEqual([name, codes]);
    }
  });
  it.each(Object.entries(modelManifest))('bad-models/%s fails with %s', (name, code) => {
    const bytes = readFileSync(join(dir, 'bad-models', `${name}.nncm`));
    const codeOf = (f: () => unknown) => {
      try {
        f();
        return 'OK';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    expect(codeOf(() => loadModel(bytes))).toBe(code);
    expect(codeOf(() => selectEngine(engine).loadModel(bytes))).toBe(code);
  });
  it('the bad-model base is valid (each bad model differs from it in one way)', () => {
    expect(loadModel(readFileSync(join(dir, 'bad-models', 'base.nncm'))).info.hidden).toEqual([4, 3]);
  });
});
