/**
 * `nnc model list` and the model column of `nnc -l` (issue 13): the bundled
 * models (here a temporary directory named by NNC_BUNDLED_MODELS, so the
 * package's own models do not matter) and the search path's, by metadata
 * name; `-m auto` on the command line. Runs main() in-process on the source.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { serializeModel } from '../src/format/model-file.js';
import { Model } from '../src/model/model.js';
import { randomModel } from './support/random.js';
import { sampleFromModel } from './support/sample.js';
import type { ModelTensors } from '../src/model/types.js';
import { runCliText } from './cli-run.js';

const run = (args: string[]) => runCliText(args);

function modelOver(seed: number, alphabet: string, metadata: Record<string, unknown>): { tensors: ModelTensors; bytes: Uint8Array; model: Model } {
  const bytes = [...new Set(Buffer.from(alphabet, 'latin1'))].sort((a, b) => a - b);
  const tensors = randomModel(seed, { k: 4, E: 4, hidden: [16, 8], alphabetBytes: bytes.length, expLength: 200 });
  tensors.alphabet = Uint8Array.from(bytes);
  const file = serializeModel(tensors, metadata);
  return { tensors, bytes: file, model: new Model(file) };
}

const dna = modelOver(2301, 'ACGT', { name: 'dna', description: 'DNA\n  sequences' });
const text = modelOver(2302, 'abcdefghijklmnopqrstuvwxyz ', { name: 'text', description: 'lower-case words' });
const anon = modelOver(2303, '0123456789', {}); // no name: shown by its ID

let dir: string;
let bundled: string;
let extra: string;
const file = (name: string): string => path.join(dir, name);
const saved = { bundled: process.env.NNC_BUNDLED_MODELS, path: process.env.NNC_MODEL_PATH };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-model-list-'));
  bundled = file('bundled');
  extra = file('extra');
  fs.mkdirSync(bundled);
  fs.mkdirSync(extra);
  fs.writeFileSync(path.join(bundled, 'b-text.nncm'), text.bytes);
  fs.writeFileSync(path.join(bundled, 'a-dna.nncm'), dna.bytes);
  fs.writeFileSync(path.join(extra, 'digits.nncm'), anon.bytes);
  process.env.NNC_BUNDLED_MODELS = bundled;
  delete process.env.NNC_MODEL_PATH;
  const both = Buffer.concat([Buffer.from(sampleFromModel(dna.tensors, 2000, 5)), Buffer.from(sampleFromModel(text.tensors, 2000, 6))]);
  fs.writeFileSync(file('mixed.bin'), both);
  fs.writeFileSync(file('dna.bin'), both.subarray(0, 2000));
});
afterAll(() => {
  for (const [k, v] of [['NNC_BUNDLED_MODELS', saved.bundled], ['NNC_MODEL_PATH', saved.path]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The listing's rows, split into columns (the description, last, may hold spaces). */
const rows = (out: string): string[][] =>
  out.trimEnd().split('\n').map((l) => {
    const cols = l.trim().split(/\s+/);
    return [...cols.slice(0, 5), cols.slice(5).join(' ')];
  });

describe('nnc model list', () => {
  it('lists the bundled models in file order: name, ID, size, shape, where, description (on one line)', async () => {
    const r = await run(['model', 'list']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(rows(r.stdout)).toEqual([
      ['name', 'id', 'size', 'k/E/hidden/A', 'where', 'description'],
      ['dna', dna.model.id, String(dna.bytes.length), 'k4/E4/h16,8/A5', 'bundled', 'DNA sequences'],
      ['text', text.model.id, String(text.bytes.length), 'k4/E4/h16,8/A28', 'bundled', 'lower-case words'],
    ]);
  });

  it('adds the search path (--model-path, NNC_MODEL_PATH) with where each file is; -v adds file, parameters, metadata', async () => {
    const r = await run(['model', 'list', '--model-path', extra]);
    expect(r.code).toBe(0);
    const last = rows(r.stdout)[3];
    expect(last.slice(0, 5)).toEqual([anon.model.id, anon.model.id, String(anon.bytes.length), 'k4/E4/h16,8/A11', path.join(extra, 'digits.nncm')]);
    process.env.NNC_MODEL_PATH = extra;
    try {
      const v = await run(['model', 'list', '-v']);
      expect(v.code).toBe(0);
      expect(rows(v.stdout.split('\n\n')[0])).toHaveLength(4);
      expect(v.stdout).toContain(`\ndna (${dna.model.id}):\n  file: ${path.join(bundled, 'a-dna.nncm')}\n  parameters: ${dna.model.info.parameters}\n`);
      expect(v.stdout).toContain(`  metadata: ${JSON.stringify(dna.model.metadata)}\n`);
    } finally {
      delete process.env.NNC_MODEL_PATH;
    }
  });

  it('says so when there is no model, and refuses operands', async () => {
    const empty = file('empty');
    fs.mkdirSync(empty);
    process.env.NNC_BUNDLED_MODELS = empty;
    try {
      const r = await run(['model', 'list']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`no models: no .nncm file in ${empty}`);
    } finally {
      process.env.NNC_BUNDLED_MODELS = bundled;
    }
    const bad = await run(['model', 'list', 'x.nncm']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/takes no file operands/);
    expect((await run(['model', 'list', '--help'])).stdout).toMatch(/^Usage: nnc model list/);
  });
});

describe('nnc -m auto and -l', () => {
  it('-m auto (the default) writes each frame with its best model; -l names them, joined by +; -l -v per frame', async () => {
    expect((await run(['-1', '--frame-size', '2000', '-m', 'auto', '-o', file('mixed.nnc'), file('mixed.bin')])).code).toBe(0);
    expect(nnc.inspect(fs.readFileSync(file('mixed.nnc'))).frames.map((f) => f.modelId)).toEqual([dna.model.id, text.model.id]);
    expect((await run(['-1', '-o', file('dna.nnc'), file('dna.bin')])).code).toBe(0);
    const l = await run(['-l', file('mixed.nnc'), file('dna.nnc')]);
    expect(l.code).toBe(0);
    const lines = l.stdout.split('\n');
    expect(lines.find((x) => x.endsWith('mixed.nnc'))!.trim().split(/\s+/)[6]).toBe('dna+text');
    expect(lines.find((x) => x.endsWith('dna.nnc'))!.trim().split(/\s+/)[6]).toBe('dna');
    const v = await run(['-lv', file('mixed.nnc')]);
    const frames = v.stdout.split('\n').filter((x) => x.startsWith('  frame '));
    expect(frames[0]).toMatch(new RegExp(`model dna \\(${dna.model.id}\\)$`));
    expect(frames[1]).toMatch(new RegExp(`model text \\(${text.model.id}\\)$`));
    // Decoded with no model given: both are bundled.
    const d = await run(['-dc', file('mixed.nnc')]);
    expect(d.code).toBe(0);
  });

  it('-l shows an unknown model by its ID, and the -m model by its name', async () => {
    const a = nnc.compressSync(Buffer.from(sampleFromModel(anon.tensors, 2000, 3)), { engine: 'ts', level: 1, model: anon.model });
    fs.writeFileSync(file('digits.nnc'), a);
    const col = async (args: string[]): Promise<string> =>
      (await run(['-l', ...args, file('digits.nnc')])).stdout.split('\n')[1].trim().split(/\s+/)[6];
    expect(await col([])).toBe(anon.model.id);
    const named = modelOver(2303, '0123456789', { name: 'digits' }); // same network, so the same ID: a name in its metadata
    fs.writeFileSync(file('named-digits.nncm'), named.bytes);
    expect(named.model.id).toBe(anon.model.id);
    expect(await col(['-m', file('named-digits.nncm')])).toBe('digits');
    expect(await col(['--model-path', extra])).toBe(anon.model.id); // found, but it has no name
  });
});
