/**
 * Golden archives (scripts/make-golden.mjs, format version 1): every engine
 * must decode them and, from their content, write exactly the same bytes.
 * Golden bad archives must fail with the named code.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressSync, decompressSync, engineInfo, loadModel } from '../src/index.js';

const dir = join(__dirname, 'fixtures', 'golden');
const model = loadModel(join(dir, 'model.nncm'));
const names = readdirSync(dir).filter((f) => f.endsWith('.nnc')).map((f) => f.slice(0, -4));
const manifest = JSON.parse(readFileSync(join(dir, 'bad', 'manifest.json'), 'utf8')) as Record<string, string>;
const engines = engineInfo().engines.filter((e) => e.available && e.name !== 'cuda').map((e) => e.name as 'ts' | 'cpu');

describe.each(engines)('golden archives (%s engine)', (engine) => {
  it('the model has its pinned ID', () => {
    expect(model.id).toBe('c349b2f8a16b322c');
  });
  it.each(names)('%s decodes and re-encodes byte-identically', (name) => {
    const archive = readFileSync(join(dir, `${name}.nnc`));
    const content = readFileSync(join(dir, `${name}.bin`));
    const { laneSize, frameSize } = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    expect(decompressSync(archive, { model, engine }).equals(content)).toBe(true);
    expect(compressSync(content, { model, engine, laneSize, frameSize: frameSize ?? undefined }).equals(archive)).toBe(true);
  });
  it.each(Object.entries(manifest))('bad/%s fails with %s', (name, codes) => {
    const bytes = readFileSync(join(dir, 'bad', `${name}.nnc`));
    let code: string | undefined;
    try {
      decompressSync(bytes, { model, engine });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(codes.split('|')).toContain(code);
  });
});
