#!/usr/bin/env node
/**
 * Writes the golden files under test/fixtures/golden: a model, archives of
 * several shapes made by the reference engine, their contents, and bad
 * archives with the error code each must produce (bad/manifest.json).
 * Run once; the files are checked in and every engine must keep reading them
 * (and writing the same bytes): they pin format version 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = (p) => import(join(root, 'dist', p)).then((m) => m.default ?? m);
const { randomModel } = await req('model/random.js');
const { serializeModel } = await req('model/format.js');
const { sampleFromModel } = await req('model/sample.js');
const nnc = await req('index.js');

const dir = join(root, 'test', 'fixtures', 'golden');
mkdirSync(join(dir, 'bad'), { recursive: true });
const tensors = randomModel(20261124, { k: 16, E: 8, hidden: [32, 24], alphabetBytes: 90, expLength: 300 });
const modelBytes = serializeModel(tensors, { name: 'golden-v1', description: 'seeded random model for the golden archives' });
writeFileSync(join(dir, 'model.nncm'), modelBytes);
const model = nnc.loadModel(modelBytes);

const cases = {
  empty: { data: new Uint8Array(0), laneSize: 65536 },
  'one-byte': { data: Uint8Array.of(tensors.alphabet[0]), laneSize: 65536 },
  'lanes-100': { data: sampleFromModel(tensors, 1001, 1, 100), laneSize: 100 },
  'single-lane': { data: sampleFromModel(tensors, 3000, 2), laneSize: 65536 },
  escapes: { data: Uint8Array.from({ length: 600 }, (_, i) => (i % 3 ? tensors.alphabet[i % 7] : (i * 37) & 255)), laneSize: 128 },
  stored: { data: Uint8Array.from({ length: 500 }, (_, i) => (i * 2654435761) >>> 24), laneSize: 65536 },
  'multi-frame': { data: sampleFromModel(tensors, 2500, 3, 300), laneSize: 300, frameSize: 1000 },
};
for (const [name, c] of Object.entries(cases)) {
  const archive = nnc.compressSync(c.data, { model, engine: 'ts', laneSize: c.laneSize, frameSize: c.frameSize });
  writeFileSync(join(dir, `${name}.bin`), c.data);
  writeFileSync(join(dir, `${name}.nnc`), archive);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ laneSize: c.laneSize, frameSize: c.frameSize ?? null }) + '\n');
}

// Bad archives: one per class of damage, each with the code it must produce.
const base = nnc.compressSync(cases['lanes-100'].data, { model, engine: 'ts', laneSize: 100 });
// Edited bytes keep the original checksum: each file tests the check that should fire first.
const edit = (f) => { const b = Buffer.from(base); f(b); return b; };
const bad = {
  'bad-magic': [edit((b) => (b[1] = 0x4f)), 'ERR_NNC_CORRUPT'],
  'version-2': [edit((b) => (b[4] = 2)), 'ERR_NNC_UNSUPPORTED'],
  'unknown-method': [edit((b) => (b[5] = 7)), 'ERR_NNC_UNSUPPORTED'],
  'reserved-flags': [edit((b) => (b[6] = 1)), 'ERR_NNC_UNSUPPORTED'],
  'other-model': [edit((b) => (b[8] ^= 0xff)), 'ERR_NNC_MODEL_MISMATCH'],
  'huge-content-size': [edit((b) => b.writeUInt32LE(0xfffffff0, 16)), 'ERR_NNC_CORRUPT'],
  'too-many-lanes': [edit((b) => b.writeUInt32LE(1, 20)), 'ERR_NNC_CORRUPT'],
  'lane-size-zero': [edit((b) => b.writeUInt32LE(0, 20)), 'ERR_NNC_CORRUPT'],
  'huge-payload-size': [edit((b) => b.writeUInt32LE(0xfffffff0, 24)), 'ERR_NNC_TRUNCATED'],
  'lane-table-inconsistent': [edit((b) => b.writeUInt32LE(b.readUInt32LE(28) + 1, 28)), 'ERR_NNC_CORRUPT'],
  'lane-too-short': [edit((b) => b.writeUInt32LE(3, 28)), 'ERR_NNC_CORRUPT'],
  'lane-state-out-of-range': [edit((b) => b.writeUInt32LE(0xffffffff, 28 + 4 * 11)), 'ERR_NNC_CORRUPT'],
  'payload-bit-flip': [edit((b) => (b[b.length - 20] ^= 0x10)), 'ERR_NNC_CORRUPT|ERR_NNC_CHECKSUM'],
  'checksum-wrong': [edit((b) => (b[b.length - 1] ^= 1)), 'ERR_NNC_CHECKSUM'],
  truncated: [base.subarray(0, base.length - 1), 'ERR_NNC_TRUNCATED'],
  'header-only': [base.subarray(0, 28), 'ERR_NNC_TRUNCATED'],
  'trailing-garbage': [Buffer.concat([base, Buffer.from('garbage!')]), 'ERR_NNC_CORRUPT'],
  'trailing-partial-frame': [Buffer.concat([base, base.subarray(0, 10)]), 'ERR_NNC_TRUNCATED'],
  'stored-size-mismatch': [(() => { const s = Buffer.from(nnc.compressSync(cases.stored.data, { model, engine: 'ts' })); s.writeUInt32LE(499, 16); return s; })(), 'ERR_NNC_CORRUPT'],
  empty: [Buffer.alloc(0), 'ERR_NNC_TRUNCATED'],
};
const manifest = {};
for (const [name, [bytes, code]] of Object.entries(bad)) {
  writeFileSync(join(dir, 'bad', `${name}.nnc`), bytes);
  manifest[name] = code;
}
writeFileSync(join(dir, 'bad', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`model ${model.id}; wrote ${Object.keys(cases).length} golden and ${Object.keys(bad).length} bad archives to ${dir}`);
