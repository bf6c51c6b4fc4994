#!/usr/bin/env node
/**
 * Writes the golden files under test/fixtures/golden: a model, archives of
 * several shapes made by the reference engine, their contents, and bad
 * archives with the error code each must produce (bad/manifest.json).
 * The mixed-* archives are frame method 2 (FORMAT.md section 5), written
 * by the ts engine's frame coder with a level's parameter block, or with a
 * block no level writes (`mix` in their .json); the others are level 1.
 * Run once; the files are checked in and every engine must keep reading them
 * (and writing the same bytes): they pin format version 2 (frames closed by
 * an end record). The version-1 golden files (test/fixtures/golden/v1/, from
 * nnc 0.1) are frozen: this script does not touch them, and every engine
 * must keep decoding them.
 *
 * Needs dist/ and build-support/: npm run build:ts && npm run build:support
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dist as req, root, support } from './built.mjs';

const { randomModel } = await support('test/support/random.js');
const { serializeModel } = await req('format/model-file.js');
const { xxh64 } = await req('xxhash64.js');
const { tsEngine } = await req('engine/ts/index.js');
const { ArchiveTally } = await req('format/archive.js');
const { EXPERT_BITS, fitToLane, levelParams } = await req('format/mix-params.js');
const { sampleFromModel } = await support('test/support/sample.js');
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
  const archive = nnc.compressSync(c.data, { model, engine: 'ts', level: 1, laneSize: c.laneSize, frameSize: c.frameSize });
  writeFileSync(join(dir, `${name}.bin`), c.data);
  writeFileSync(join(dir, `${name}.nnc`), archive);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ laneSize: c.laneSize, frameSize: c.frameSize ?? null }) + '\n');
}

// Method 2 (mixed): one frame each, several lanes, a few KB. Written by the
// engine's frame coder and the archive's end record directly, so the .nnc
// pins the ts engine's bytes; the golden test also re-encodes the level ones
// through compressSync({ level }).
/** Seeded word salad (the stage's word and order-n contexts have something to learn). */
const textish = (n, seed) => {
  const words = 'the of and to in a is that for it as was with be by on not this are or from at which lane frame model coder byte'.split(' ');
  let x = seed >>> 0;
  let s = '';
  while (s.length < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += words[(x >>> 16) % words.length] + ((x >>> 8) % 9 === 0 ? '.\n' : ' ');
  }
  return Buffer.from(s.slice(0, n), 'latin1');
};
const level6NoNet = { ...levelParams(6), mask: levelParams(6).mask & ~EXPERT_BITS.net, level: 0 };
const mixedCases = {
  'mixed-level-2': { data: textish(3000, 1), laneSize: 1000, level: 2 },
  // The model's own data, twice (the match model), with bytes outside the alphabet (escapes).
  'mixed-level-6': { data: Buffer.concat([cases.escapes.data, sampleFromModel(tensors, 1500, 4), sampleFromModel(tensors, 1500, 4)]), laneSize: 1400, level: 6 },
  // The network off: the model is not needed to decode (its ID is informational).
  'mixed-no-network': { data: textish(2500, 2), laneSize: 1000, mix: level6NoNet },
};
const archiveOf = (frames) => {
  const tally = new ArchiveTally();
  for (const f of frames) tally.addFrame(f);
  return Buffer.concat([...frames, tally.endRecord()]);
};
const tsModel = model.for(tsEngine);
// A level's block as the facade writes it: the level's tables fitted to the largest lane (FORMAT.md 4.3).
const blockOf = (c) => c.mix ?? fitToLane(levelParams(c.level), Math.min(c.laneSize, c.data.length));
const mixedArchive = (c) => archiveOf([tsEngine.compressFrame(tsModel, c.data, { laneSize: c.laneSize, mix: blockOf(c), threads: 1 })]);
for (const [name, c] of Object.entries(mixedCases)) {
  const archive = mixedArchive(c);
  if (archive[5] !== 2 || archive.readUInt32LE(20) !== c.laneSize) throw new Error(`${name}: expected a method-2 frame`);
  writeFileSync(join(dir, `${name}.bin`), c.data);
  writeFileSync(join(dir, `${name}.nnc`), archive);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ laneSize: c.laneSize, frameSize: null, ...(c.mix ? { mix: c.mix } : { level: c.level }) }) + '\n');
}

// Bad archives: one per class of damage, each with the code it must produce.
// `base` is one neural frame and the end record; F is where the frame ends.
const base = nnc.compressSync(cases['lanes-100'].data, { model, engine: 'ts', level: 1, laneSize: 100 });
const END = 40;
const F = base.length - END;
// Edited bytes keep the original checksum: each file tests the check that should fire first.
const edit = (f) => { const b = Buffer.from(base); f(b); return b; };
const multi = readFileSync(join(dir, 'multi-frame.nnc'));
// multi-frame's frames (3) and end record, as separate buffers.
const multiFrames = [];
for (let p = 0; p < multi.length - END; ) {
  const size = 36 + multi.readUInt32LE(p + 24);
  multiFrames.push(multi.subarray(p, p + size));
  p += size;
}
const multiEnd = multi.subarray(multi.length - END);
if (multiFrames.length !== 3) throw new Error('multi-frame: expected 3 frames');
/** The end record with `f` applied and its own check recomputed. */
const resealEnd = (f) => { const e = Buffer.from(multiEnd); f(e); e.writeBigUInt64LE(xxh64(e.subarray(0, 32)), 32); return e; };
const v1Frame = (() => { const b = Buffer.from(base.subarray(0, F)); b[4] = 1; return b; })();
const storedBase = nnc.compressSync(cases.stored.data, { model, engine: 'ts', level: 1 });
/** A stored frame header claiming N = B = `claim`, followed by only `have` bytes. */
const storedClaim = (claim, have) => { const s = Buffer.alloc(28 + have, 0x61); storedBase.copy(s, 0, 0, 28); s.writeUInt32LE(claim, 16); s.writeUInt32LE(claim, 24); return s; };
const mixedBase = readFileSync(join(dir, 'mixed-level-2.nnc'));
const editMixed = (f) => { const b = Buffer.from(mixedBase); f(b); return b; };
const bad = {
  'bad-magic': [edit((b) => (b[1] = 0x4f)), 'ERR_NNC_CORRUPT'],
  'version-3': [edit((b) => (b[4] = 3)), 'ERR_NNC_UNSUPPORTED'],
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
  'payload-bit-flip': [edit((b) => (b[F - 20] ^= 0x10)), 'ERR_NNC_CORRUPT'],
  'checksum-wrong': [edit((b) => (b[F - 1] ^= 1)), 'ERR_NNC_CHECKSUM'],
  truncated: [base.subarray(0, F - 1), 'ERR_NNC_TRUNCATED'],
  'header-only': [base.subarray(0, 28), 'ERR_NNC_TRUNCATED'],
  'trailing-garbage': [Buffer.concat([base, Buffer.from('garbage!')]), 'ERR_NNC_CORRUPT'],
  'trailing-partial-frame': [Buffer.concat([base, base.subarray(0, 10)]), 'ERR_NNC_TRUNCATED'],
  'stored-size-mismatch': [(() => { const s = Buffer.from(nnc.compressSync(cases.stored.data, { model, engine: 'ts', level: 1 })); s.writeUInt32LE(499, 16); return s; })(), 'ERR_NNC_CORRUPT'],
  empty: [Buffer.alloc(0), 'ERR_NNC_TRUNCATED'],
  // Hostile headers: huge claims are rejected (or found truncated) before
  // anything is allocated by them.
  'huge-lane-count': [edit((b) => { b.writeUInt32LE(2 ** 26, 16); b.writeUInt32LE(1, 20); }), 'ERR_NNC_CORRUPT'],
  'content-size-over-limit': [edit((b) => b.writeUInt32LE(2 ** 26 + 1, 16)), 'ERR_NNC_CORRUPT'],
  'lane-size-over-limit': [edit((b) => b.writeUInt32LE(2 ** 24 + 1, 20)), 'ERR_NNC_CORRUPT'],
  'huge-stored-truncated': [storedClaim(2 ** 26, 100), 'ERR_NNC_TRUNCATED'],
  'huge-neural-truncated': [edit((b) => { b.writeUInt32LE(2 ** 26, 16); b.writeUInt32LE(2 ** 24, 20); b.writeUInt32LE(2 ** 26 - 1, 24); }), 'ERR_NNC_TRUNCATED'],
  'neural-empty-content': [edit((b) => b.writeUInt32LE(0, 16)), 'ERR_NNC_CORRUPT'],
  'stored-lane-size': [(() => { const s = Buffer.from(storedBase); s.writeUInt32LE(5, 20); return s; })(), 'ERR_NNC_CORRUPT'],
  'version-0': [edit((b) => (b[4] = 0)), 'ERR_NNC_UNSUPPORTED'],
  'model-id-zero': [edit((b) => b.fill(0, 8, 16)), 'ERR_NNC_MODEL_MISMATCH'],
  // Inconsistent lane tables.
  'lane-table-sum-short': [edit((b) => b.writeUInt32LE(b.readUInt32LE(28 + 4 * 10) - 1, 28 + 4 * 10)), 'ERR_NNC_CORRUPT'],
  'lane-length-overflow': [edit((b) => b.writeUInt32LE(0xffffffff, 28)), 'ERR_NNC_CORRUPT'],
  'lane-bytes-moved': [edit((b) => { b.writeUInt32LE(b.readUInt32LE(28) + 1, 28); b.writeUInt32LE(b.readUInt32LE(32) - 1, 32); }), 'ERR_NNC_CORRUPT'],
  'lane-state-below-range': [edit((b) => b.writeUInt32LE(0x7fffff, 28 + 4 * 11)), 'ERR_NNC_CORRUPT'],
  // Truncation anywhere: in the header, the lane table, a lane, the checksum, a later frame.
  'truncated-in-header': [base.subarray(0, 10), 'ERR_NNC_TRUNCATED'],
  'truncated-in-lane-table': [base.subarray(0, 28 + 20), 'ERR_NNC_TRUNCATED'],
  'truncated-in-lanes': [base.subarray(0, F - 40), 'ERR_NNC_TRUNCATED'],
  'truncated-in-checksum': [base.subarray(0, F - 5), 'ERR_NNC_TRUNCATED'],
  'truncated-last-frame': [multi.subarray(0, multi.length - END - 30), 'ERR_NNC_TRUNCATED'],
  // Trailing bytes after complete frames: garbage is rejected, a frame start that ends is truncated.
  'trailing-zeros': [Buffer.concat([base, Buffer.alloc(8)]), 'ERR_NNC_CORRUPT'],
  'trailing-magic': [Buffer.concat([base, Buffer.from([0x89, 0x4e, 0x4e, 0x43])]), 'ERR_NNC_TRUNCATED'],
  'trailing-garbage-multi-frame': [Buffer.concat([multi, Buffer.from('\n')]), 'ERR_NNC_CORRUPT'],
  'trailing-bad-frame': [Buffer.concat([base, edit((b) => (b[4] = 9))]), 'ERR_NNC_UNSUPPORTED'],
  // Content that decodes (a stored frame) but is not what was compressed.
  'stored-content-changed': [(() => { const s = Buffer.from(storedBase); s[40] ^= 0x20; return s; })(), 'ERR_NNC_CHECKSUM'],
  // The archive as a whole (end record, FORMAT.md 4.2): every frame intact,
  // but cut at a frame boundary, or frames lost, repeated or moved.
  'cut-before-end-record': [multi.subarray(0, multi.length - END), 'ERR_NNC_TRUNCATED'],
  'cut-after-first-frame': [multiFrames[0], 'ERR_NNC_TRUNCATED'],
  'end-record-cut': [multi.subarray(0, multi.length - 10), 'ERR_NNC_TRUNCATED'],
  'frame-dropped': [Buffer.concat([multiFrames[0], multiFrames[2], multiEnd]), 'ERR_NNC_TRUNCATED'],
  'last-frame-dropped': [Buffer.concat([multiFrames[0], multiFrames[1], multiEnd]), 'ERR_NNC_TRUNCATED'],
  'frame-duplicated': [Buffer.concat([multiFrames[0], multiFrames[1], multiFrames[1], multiFrames[2], multiEnd]), 'ERR_NNC_TRUNCATED'],
  'frames-swapped': [Buffer.concat([multiFrames[1], multiFrames[0], multiFrames[2], multiEnd]), 'ERR_NNC_TRUNCATED'],
  'end-record-count-wrong': [Buffer.concat([...multiFrames, resealEnd((e) => (e[8] += 1))]), 'ERR_NNC_TRUNCATED'],
  'end-record-size-wrong': [Buffer.concat([...multiFrames, resealEnd((e) => (e[16] += 1))]), 'ERR_NNC_TRUNCATED'],
  'end-record-damaged': [Buffer.concat([...multiFrames, (() => { const e = Buffer.from(multiEnd); e[9] ^= 4; return e; })()]), 'ERR_NNC_CORRUPT'],
  'end-record-version-3': [Buffer.concat([...multiFrames, resealEnd((e) => (e[4] = 3))]), 'ERR_NNC_UNSUPPORTED'],
  'end-record-reserved': [Buffer.concat([...multiFrames, resealEnd((e) => (e[6] = 1))]), 'ERR_NNC_UNSUPPORTED'],
  'end-record-alone': [Buffer.from(multiEnd), 'ERR_NNC_CORRUPT'],
  'end-record-twice': [Buffer.concat([multi, multiEnd]), 'ERR_NNC_CORRUPT'],
  'legacy-frame-inside-archive': [Buffer.concat([multiFrames[0], v1Frame, multiEnd]), 'ERR_NNC_TRUNCATED'],
  'second-archive-cut': [Buffer.concat([base, multi.subarray(0, multi.length - END)]), 'ERR_NNC_TRUNCATED'],
  // Method 2 (mixed-level-2's archive; its payload, at byte 28, opens with the parameter block).
  'mixed-unknown-expert': [editMixed((b) => (b[28 + 2] |= 2)), 'ERR_NNC_UNSUPPORTED'], // mask bit 17
  'mixed-hb-out-of-range': [editMixed((b) => (b[28 + 4] = 19)), 'ERR_NNC_CORRUPT'],
  'mixed-size-for-expert-off': [editMixed((b) => (b[28 + 1] &= ~(EXPERT_BITS.match >> 8))), 'ERR_NNC_CORRUPT'], // MB without the match model
  'mixed-level-byte-10': [editMixed((b) => (b[28 + 7] = 10)), 'ERR_NNC_CORRUPT'],
  'mixed-lane-table-sum': [editMixed((b) => b.writeUInt32LE(b.readUInt32LE(36) + 1, 36)), 'ERR_NNC_CORRUPT'],
  'mixed-other-model': [editMixed((b) => (b[8] ^= 0xff)), 'ERR_NNC_MODEL_MISMATCH'], // the network is on: its model is needed
  'mixed-in-version-1-frame': [(() => { const b = Buffer.from(mixedBase.subarray(0, mixedBase.length - END)); b[4] = 1; return b; })(), 'ERR_NNC_UNSUPPORTED'],
  // No flipped lane byte here: it would be found only after the stage's tables
  // were allocated (a valid block's bound, FORMAT.md 5.9), which the hostile-memory
  // test would count; test/ts-mixed.test.ts flips lane bytes.
};
const manifest = {};
for (const [name, [bytes, code]] of Object.entries(bad)) {
  writeFileSync(join(dir, 'bad', `${name}.nnc`), bytes);
  manifest[name] = code;
}
writeFileSync(join(dir, 'bad', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
// The method-2 bad archives fail as recorded in the engine that wrote them.
for (const name of Object.keys(bad).filter((n) => n.startsWith('mixed-'))) {
  let code = 'OK';
  try { nnc.decompressSync(bad[name][0], { model, engine: 'ts' }); } catch (e) { code = e.code; }
  if (code !== bad[name][1]) throw new Error(`bad/${name}: ts engine says ${code}, expected ${bad[name][1]}`);
}
console.log(`model ${model.id}; wrote ${Object.keys(cases).length + Object.keys(mixedCases).length} golden and ${Object.keys(bad).length} bad archives to ${dir}`);

// Bad models (bad-models/): one per class of damage or absurd dimension, each
// with the code it must produce, from a small valid model. Edits of the
// canonical section recompute the file checksum, so the intended check fires.
const { canonicalSize } = await req('format/model-file.js');
mkdirSync(join(dir, 'bad-models'), { recursive: true });
const small = randomModel(77, { k: 2, E: 2, hidden: [4, 3], alphabetBytes: 5, expLength: 8 });
const good = Buffer.from(serializeModel(small, { name: 'bad-model-base' }));
const C = good.readUInt32LE(8);
const H = small.hidden.map((l) => l.b.length);
const A = small.alphabet.length + 1;
// Offsets (in the file) of the fields edited below: docs/FORMAT.md 1.2.
const at = (() => {
  let p = 16 + 8 + 2 * H.length;
  const o = { alphabet: p };
  p += A - 1;
  o.emb = p;
  p += (A + 1) * small.E;
  o.layers = [];
  let nIn = small.k * small.E;
  for (const h of H) {
    const l = { w: p };
    p += h * nIn;
    l.b = p;
    p += 4 * h + 2 * h;
    l.s = p;
    p += 1;
    o.layers.push(l);
    nIn = h;
  }
  o.wOut = p;
  p += A * nIn;
  o.bOut = p;
  p += 4 * A;
  o.sOut = p + 2;
  p += 3;
  o.exp = p;
  return o;
})();
const reseal = (b) => { b.writeBigUInt64LE(xxh64(b.subarray(0, b.length - 8)), b.length - 8); return b; };
const medit = (f, seal = true) => { const b = Buffer.from(good); f(b); return seal ? reseal(b) : b; };
/** A model file with the given canonical section and metadata bytes. */
const wrap = (canon, meta) => {
  const b = Buffer.alloc(24 + canon.length + meta.length);
  good.copy(b, 0, 0, 8);
  b.writeUInt32LE(canon.length, 8);
  b.writeUInt32LE(meta.length, 12);
  canon.copy(b, 16);
  meta.copy(b, 16 + canon.length);
  return reseal(b);
};
const canon = good.subarray(16, 16 + C);
const badModels = {
  empty: [Buffer.alloc(0), 'ERR_NNC_BAD_MODEL'],
  'shorter-than-header': [good.subarray(0, 23), 'ERR_NNC_BAD_MODEL'],
  'bad-magic': [medit((b) => (b[3] = 0x58)), 'ERR_NNC_BAD_MODEL'],
  'archive-not-model': [base, 'ERR_NNC_BAD_MODEL'],
  'version-2': [medit((b) => b.writeUInt16LE(2, 4)), 'ERR_NNC_UNSUPPORTED'],
  'reserved-flags': [medit((b) => b.writeUInt16LE(1, 6)), 'ERR_NNC_UNSUPPORTED'],
  'canonical-size-zero': [medit((b) => b.writeUInt32LE(0, 8)), 'ERR_NNC_BAD_MODEL'],
  // Claims that would need hundreds of MB: rejected from the header and the file length.
  'canonical-size-over-limit': [medit((b) => b.writeUInt32LE(2 ** 28 + 1, 8)), 'ERR_NNC_BAD_MODEL'],
  'canonical-size-huge-claim': [medit((b) => b.writeUInt32LE(2 ** 28, 8)), 'ERR_NNC_BAD_MODEL'],
  'metadata-size-over-limit': [medit((b) => b.writeUInt32LE(2 ** 20 + 1, 12)), 'ERR_NNC_BAD_MODEL'],
  'metadata-size-huge-claim': [medit((b) => b.writeUInt32LE(2 ** 20, 12)), 'ERR_NNC_BAD_MODEL'],
  truncated: [good.subarray(0, good.length - 1), 'ERR_NNC_BAD_MODEL'],
  'trailing-bytes': [Buffer.concat([good, Buffer.from([0])]), 'ERR_NNC_BAD_MODEL'],
  'checksum-wrong': [medit((b) => (b[b.length - 1] ^= 1), false), 'ERR_NNC_BAD_MODEL'],
  'canonical-too-short': [wrap(canon.subarray(0, 6), Buffer.alloc(0)), 'ERR_NNC_BAD_MODEL'],
  // Dimensions out of range (the canonical size is left as it was).
  'k-zero': [medit((b) => (b[16] = 0)), 'ERR_NNC_BAD_MODEL'],
  'k-65': [medit((b) => (b[16] = 65)), 'ERR_NNC_BAD_MODEL'],
  'E-zero': [medit((b) => (b[17] = 0)), 'ERR_NNC_BAD_MODEL'],
  'E-65': [medit((b) => (b[17] = 65)), 'ERR_NNC_BAD_MODEL'],
  'L-zero': [medit((b) => (b[18] = 0)), 'ERR_NNC_BAD_MODEL'],
  'L-5': [medit((b) => (b[18] = 5)), 'ERR_NNC_BAD_MODEL'],
  'canonical-reserved': [medit((b) => (b[19] = 1)), 'ERR_NNC_BAD_MODEL'],
  'A-1': [medit((b) => b.writeUInt16LE(1, 20)), 'ERR_NNC_BAD_MODEL'],
  'A-258': [medit((b) => b.writeUInt16LE(258, 20)), 'ERR_NNC_BAD_MODEL'],
  'T-1': [medit((b) => b.writeUInt16LE(1, 22)), 'ERR_NNC_BAD_MODEL'],
  'T-4097': [medit((b) => b.writeUInt16LE(4097, 22)), 'ERR_NNC_BAD_MODEL'],
  'H-zero': [medit((b) => b.writeUInt16LE(0, 24)), 'ERR_NNC_BAD_MODEL'],
  'H-4097': [medit((b) => b.writeUInt16LE(4097, 26)), 'ERR_NNC_BAD_MODEL'],
  // In range, but inconsistent with the canonical size; the largest legal
  // dimensions would imply a 100+ MB section that is not there.
  'absurd-dimensions': [medit((b) => { b[16] = 64; b[17] = 64; b.writeUInt16LE(257, 20); b.writeUInt16LE(4096, 22); b.writeUInt16LE(4096, 24); b.writeUInt16LE(4096, 26); }), 'ERR_NNC_BAD_MODEL'],
  'dimensions-inconsistent': [medit((b) => b.writeUInt16LE(H[0] + 1, 24)), 'ERR_NNC_BAD_MODEL'],
  'more-layers-than-widths': [medit((b) => (b[18] = 4)), 'ERR_NNC_BAD_MODEL'],
  // Tensor values that break the format's invariants.
  'alphabet-not-increasing': [medit((b) => (b[at.alphabet + 1] = b[at.alphabet])), 'ERR_NNC_BAD_MODEL'],
  'layer-shift-zero': [medit((b) => (b[at.layers[0].s] = 0)), 'ERR_NNC_BAD_MODEL'],
  'layer-shift-41': [medit((b) => (b[at.layers[1].s] = 41)), 'ERR_NNC_BAD_MODEL'],
  'output-shift-zero': [medit((b) => (b[at.sOut] = 0)), 'ERR_NNC_BAD_MODEL'],
  'exp0-not-65536': [medit((b) => b.writeUInt32LE(65535, at.exp)), 'ERR_NNC_BAD_MODEL'],
  'exp-increasing': [medit((b) => b.writeUInt32LE(65536, at.exp + 4 * 7)), 'ERR_NNC_BAD_MODEL'],
  'accumulator-overflow-layer0': [medit((b) => b.writeInt32LE(2 ** 31 - 1, at.layers[0].b)), 'ERR_NNC_BAD_MODEL'],
  'accumulator-overflow-output': [medit((b) => b.writeInt32LE(-(2 ** 31), at.bOut)), 'ERR_NNC_BAD_MODEL'],
  // Metadata that is not a UTF-8 JSON object.
  'metadata-not-json': [wrap(canon, Buffer.from('{"name": ')), 'ERR_NNC_BAD_MODEL'],
  'metadata-array': [wrap(canon, Buffer.from('[1, 2]')), 'ERR_NNC_BAD_MODEL'],
  'metadata-bad-utf8': [wrap(canon, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])), 'ERR_NNC_BAD_MODEL'],
  // 30000 unclosed brackets: a recursive reader would overflow its stack.
  'metadata-deep-nesting': [wrap(canon, Buffer.from('{"a":' + '['.repeat(30000) + '}')), 'ERR_NNC_BAD_MODEL'],
};
if (canonicalSize(small.k, small.E, A, small.exp.length, H) !== C) throw new Error('bad-model base: size mismatch');
const modelManifest = {};
for (const [name, [bytes, code]] of Object.entries(badModels)) {
  writeFileSync(join(dir, 'bad-models', `${name}.nncm`), bytes);
  modelManifest[name] = code;
}
writeFileSync(join(dir, 'bad-models', 'manifest.json'), JSON.stringify(modelManifest, null, 2) + '\n');
writeFileSync(join(dir, 'bad-models', 'base.nncm'), good);
console.log(`wrote ${Object.keys(badModels).length} bad models to ${join(dir, 'bad-models')}`);
