/**
 * Replays the inputs under test/fixtures/fuzz-regressions (see its README):
 * every engine and every API must agree on each, and fail, if at all, with a
 * format error code. The native side replays them too (scripts/fuzz.sh).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { NncError, compressSync, createDecompressStream, decompress, decompressSync, loadModel } from '../src/index.js';
import { selectEngine } from '../src/engine/select.js';
import { availableEngines as engines, reportUnavailable } from './support/engines.js';

const root = join(__dirname, 'fixtures', 'fuzz-regressions');
const files = (target: string): string[] =>
  existsSync(join(root, target)) ? readdirSync(join(root, target)).filter((f) => !f.startsWith('.')) : [];
// The fuzz targets' models (native/fuzz/fuzz_common.h).
const models = [loadModel(join(__dirname, 'fixtures', 'golden', 'model.nncm')), loadModel(join(__dirname, '..', 'native', 'fuzz', 'tiny.nncm'))];
const modelNamedBy = (b: Uint8Array) =>
  models.find((m) => b.length >= 16 && Buffer.from(b.subarray(8, 16)).readBigUInt64LE().toString(16).padStart(16, '0') === m.id) ?? models[0];

const FORMAT_CODES = ['ERR_NNC_TRUNCATED', 'ERR_NNC_CORRUPT', 'ERR_NNC_CHECKSUM', 'ERR_NNC_UNSUPPORTED', 'ERR_NNC_MODEL_MISMATCH'];

async function settle(f: () => Promise<Uint8Array> | Uint8Array): Promise<string> {
  try {
    return 'OK:' + Buffer.from(await f()).toString('base64');
  } catch (e) {
    if (!(e instanceof NncError)) throw e;
    return e.code;
  }
}

describe('fuzz regressions', () => {
  reportUnavailable('fuzz regression replays');
  it('the folders exist (empty ones are fine)', () => {
    for (const t of ['container', 'decode', 'model', 'roundtrip']) expect(existsSync(join(root, t))).toBe(true);
  });

  it.each([...files('decode').map((f) => ['decode', f]), ...files('container').map((f) => ['container', f])])(
    '%s/%s: every engine and API gives the same outcome',
    async (target, name) => {
      const bytes = readFileSync(join(root, target, name));
      const model = modelNamedBy(bytes);
      const outcomes: string[] = [];
      for (const engine of engines) {
        outcomes.push(await settle(() => decompressSync(bytes, { model, engine })));
        outcomes.push(await settle(() => decompress(bytes, { model, engine })));
        outcomes.push(
          await settle(async () => {
            const out: Buffer[] = [];
            const sink = new Writable({ write: (c: Buffer, _e, cb) => { out.push(c); cb(); } });
            await pipeline(Readable.from([bytes.subarray(0, 13), bytes.subarray(13)]), createDecompressStream({ model, engine }), sink);
            return Buffer.concat(out);
          }),
        );
      }
      expect(new Set(outcomes).size).toBe(1);
      if (!outcomes[0].startsWith('OK:')) expect(FORMAT_CODES).toContain(outcomes[0]);
    },
  );

  it.each(files('model'))('model/%s: every loader gives the same outcome', (name) => {
    const bytes = readFileSync(join(root, 'model', name));
    const load = (f: () => { id: string }) => {
      try {
        return 'OK:' + f().id;
      } catch (e) {
        if (!(e instanceof NncError)) throw e;
        return e.code;
      }
    };
    const outcomes = [load(() => loadModel(bytes)), ...engines.map((e) => load(() => selectEngine(e).loadModel(bytes)))];
    expect(new Set(outcomes).size).toBe(1);
  });

  it.each(files('roundtrip'))('roundtrip/%s: identical archives on every engine, and back', (name) => {
    // fuzz_roundtrip's input: model, lane, threads and frame-size bytes, then the content.
    const b = readFileSync(join(root, 'roundtrip', name));
    const lanes = [1, 2, 3, 7, 16, 63, 64, 65, 100, 256, 1000, 4096, 65536];
    const model = models[b[0] % models.length];
    const laneSize = lanes[b[1] % lanes.length];
    const frameSize = b[3] < 128 ? 2 ** 26 : 64 + (b[3] - 128) * 61;
    const content = b.subarray(4);
    const archives = engines.map((engine) => compressSync(content, { model, engine, laneSize, frameSize }));
    for (const a of archives) expect(a.equals(archives[0])).toBe(true);
    for (const engine of engines) expect(decompressSync(archives[0], { model, engine }).equals(content)).toBe(true);
  });
});
