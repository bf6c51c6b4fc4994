/**
 * Models found by ID (issue 10 item 5): the `modelPath` option, the
 * NNC_MODEL_PATH variable and `nnc --model-path` list directories searched
 * for the .nncm whose ID an archive's frames name.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { modelSearchPath } from '../src/model/search.js';
import { explainChecksum } from '../src/options.js';
import { makeRandomModel, modelData } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');
const tm = makeRandomModel(41, { k: 6, E: 4, hidden: [16], alphabetBytes: 40 });
const other = makeRandomModel(42, { k: 6, E: 4, hidden: [16], alphabetBytes: 40 });
const data = Buffer.from(modelData(tm, 3000, 5));
const opts = { engine: 'ts' as const, laneSize: 1000 };
let dir: string;
let empty: string;
let archive: Buffer;
const savedEnv = process.env.NNC_MODEL_PATH;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-model-path-'));
  empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  fs.mkdirSync(path.join(dir, 'models'));
  // Decoys first in name order: a model with another ID and a file that is not a model.
  fs.writeFileSync(path.join(dir, 'models', 'a-other.nncm'), other.bytes);
  fs.writeFileSync(path.join(dir, 'models', 'b-junk.nncm'), 'not a model');
  fs.writeFileSync(path.join(dir, 'models', 'c-mine.nncm'), tm.bytes);
  archive = await nnc.compress(data, { ...opts, model: tm.model });
  expect(nnc.inspect(archive).frames.some((f) => f.needsModel)).toBe(true);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  if (savedEnv === undefined) delete process.env.NNC_MODEL_PATH;
  else process.env.NNC_MODEL_PATH = savedEnv;
});

describe('models found by ID', () => {
  it('the search path: option entries first, then NNC_MODEL_PATH, empty entries and duplicates dropped', () => {
    expect(modelSearchPath(['a', 'b'], `b${path.delimiter}${path.delimiter}c`)).toEqual(['a', 'b', 'c']);
    expect(modelSearchPath(`x${path.delimiter}y`, undefined)).toEqual(['x', 'y']);
    expect(() => modelSearchPath(3, undefined)).toThrow(expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG' }));
  });

  it('without the model, decoding names the wanted ID, the model given, -m and how to set a search path', async () => {
    delete process.env.NNC_MODEL_PATH;
    const err = await nnc.decompress(archive, { ...opts, model: other.model }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_NNC_MODEL_MISMATCH' });
    const msg = (err as Error).message;
    expect(msg).toContain(tm.model.id);
    expect(msg).toContain(other.model.id);
    expect(msg).toContain('-m MODEL');
    expect(msg).toContain('NNC_MODEL_PATH');
    expect(msg).toMatch(/no model search path is set/);
  });

  it('a search path without the model is named in the message', async () => {
    const err = await nnc.decompress(archive, { ...opts, model: other.model, modelPath: [empty] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_NNC_MODEL_MISMATCH' });
    expect((err as Error).message).toContain(`model search path (${empty})`);
  });

  it('decodes with no model option when the directory is in modelPath (array or string), sync and async', async () => {
    const models = path.join(dir, 'models');
    expect((await nnc.decompress(archive, { ...opts, modelPath: [empty, models] })).equals(data)).toBe(true);
    expect(nnc.decompressSync(archive, { ...opts, modelPath: `${empty}${path.delimiter}${models}` }).equals(data)).toBe(true);
    // A given model with another ID is passed over for the one that matches.
    expect((await nnc.decompress(archive, { ...opts, model: other.model, modelPath: [models] })).equals(data)).toBe(true);
  });

  it('decodes when the directory is in NNC_MODEL_PATH', async () => {
    process.env.NNC_MODEL_PATH = `${empty}${path.delimiter}${path.join(dir, 'models')}`;
    expect((await nnc.decompress(archive, opts)).equals(data)).toBe(true);
  });

  it('a file with the right ID but damaged contents is an error, not skipped', async () => {
    const bad = path.join(dir, 'damaged');
    fs.mkdirSync(bad);
    const bytes = Buffer.from(tm.bytes);
    bytes[bytes.length - 1] ^= 1; // the file checksum, outside the canonical section: same ID
    fs.writeFileSync(path.join(bad, 'm.nncm'), bytes);
    await expect(nnc.decompress(archive, { ...opts, modelPath: [bad] })).rejects.toMatchObject({ code: 'ERR_NNC_BAD_MODEL' });
  });

  it('a checksum failure on a neural frame says a different model with the same ID is possible; stored frames are left alone', () => {
    const neural = explainChecksum(new nnc.NncError('ERR_NNC_CHECKSUM', 'checksum mismatch'), { method: 1, modelId: tm.model.id });
    expect((neural as Error).message).toMatch(new RegExp(`model may be the wrong one: .*${tm.model.id}.*same ID`));
    expect((explainChecksum(neural, { method: 1, modelId: tm.model.id }) as Error).message.match(/same ID/g)).toHaveLength(1);
    const stored = explainChecksum(new nnc.NncError('ERR_NNC_CHECKSUM', 'checksum mismatch'), { method: 0, modelId: tm.model.id });
    expect((stored as Error).message).toBe('checksum mismatch');
    const corrupt = explainChecksum(new nnc.NncError('ERR_NNC_CORRUPT', 'bad lane'), { method: 1, modelId: tm.model.id });
    expect((corrupt as Error).message).toBe('bad lane');
  });

  it('nnc -d --model-path DIR decodes; without it the error names NNC_MODEL_PATH', () => {
    const work = path.join(dir, 'cli');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'a.nnc'), archive);
    const env = { ...process.env };
    delete env.NNC_MODEL_PATH;
    const run = (args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nnc.js'), ...args], { cwd: work, env, encoding: 'buffer', timeout: 60_000 });
    const fail = run(['-dc', '--engine', 'ts', 'a.nnc']);
    expect(fail.status).toBe(1);
    expect(fail.stderr.toString()).toMatch(/ERR_NNC_MODEL_MISMATCH/);
    expect(fail.stderr.toString()).toContain('NNC_MODEL_PATH');
    const ok = run(['-dc', '--engine', 'ts', '--model-path', path.join(dir, 'models'), 'a.nnc']);
    expect(ok.stderr.toString()).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout.equals(data)).toBe(true);
  });
});
