#!/usr/bin/env node
/**
 * Seed corpus for the libFuzzer targets (native/fuzz): valid archives and
 * models of several shapes, plus the golden good and bad files, written to
 * OUT/{container,decode,model,roundtrip}/ (default build-fuzz/corpus).
 * Also (re)writes native/fuzz/tiny.nncm, the second model the decode and
 * round-trip targets use (deterministic: the same bytes every time).
 * Needs dist/ and build-support/ (npm run build:ts && npm run build:support).
 *
 *   node scripts/make-fuzz-corpus.mjs [OUT]
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { dist as req, root, support } from './built.mjs';

const { randomModel } = await support('test/support/random.js');
const { serializeModel } = await req('format/model-file.js');
const { sampleFromModel } = await support('test/support/sample.js');
const nnc = await req('index.js');
const { tsEngine } = await req('engine/ts/index.js');
const { ArchiveTally } = await req('format/archive.js');

const out = process.argv[2] ?? join(root, 'build-fuzz', 'corpus');
const targets = ['container', 'decode', 'model', 'roundtrip'];
for (const t of targets) mkdirSync(join(out, t), { recursive: true });
const counts = Object.fromEntries(targets.map((t) => [t, 0]));
/** Content-addressed, like libFuzzer's own corpus files. */
const put = (targetsFor, bytes) => {
  const name = createHash('sha1').update(bytes).digest('hex');
  for (const t of targetsFor) {
    writeFileSync(join(out, t, name), bytes);
    counts[t]++;
  }
};

// --- models --------------------------------------------------------------------
const golden = join(root, 'test', 'fixtures', 'golden');
const goldenModelBytes = readFileSync(join(golden, 'model.nncm'));
const tinyTensors = randomModel(4242, { k: 2, E: 2, hidden: [4], alphabetBytes: 3, expLength: 16 });
const tinyBytes = serializeModel(tinyTensors, { name: 'fuzz-tiny', description: 'A = 4: random bytes often decode for a while (native/fuzz)' });
writeFileSync(join(root, 'native', 'fuzz', 'tiny.nncm'), tinyBytes);
const goldenModel = nnc.loadModel(goldenModelBytes);
const tinyModel = nnc.loadModel(tinyBytes);
const goldenTensors = goldenModel.parsed.tensors;

put(['model'], goldenModelBytes);
put(['model'], tinyBytes);
put(['model'], readFileSync(join(root, 'models', 'default.nncm')));
const shapes = [
  { k: 1, E: 1, hidden: [1], alphabetBytes: 1, expLength: 2 },
  { k: 1, E: 3, hidden: [5, 3], alphabetBytes: 256, expLength: 40 },
  { k: 4, E: 2, hidden: [17, 16, 15], alphabetBytes: 30, expLength: 100 },
  { k: 8, E: 4, hidden: [33, 8, 8, 4], alphabetBytes: 200, expLength: 600 },
  { k: 16, E: 1, hidden: [64], alphabetBytes: 95, expLength: 4096 },
  { k: 3, E: 16, hidden: [48, 32], alphabetBytes: 10, expLength: 7 },
];
shapes.forEach((s, i) => put(['model'], serializeModel(randomModel(900 + i, s), { name: `shape-${i}` })));
// Metadata variants: none, nested, unicode.
put(['model'], serializeModel(tinyTensors));
put(['model'], serializeModel(tinyTensors, { name: 'ünïcødé ✓', trainedOn: [{ file: 'a', bytes: 1, part: 'all' }], figures: { bpb: 2.5 } }));
for (const f of readdirSync(join(golden, 'bad-models')).filter((f) => f.endsWith('.nncm'))) {
  put(['model'], readFileSync(join(golden, 'bad-models', f)));
}

// --- archives ------------------------------------------------------------------
for (const f of readdirSync(golden).filter((f) => f.endsWith('.nnc'))) put(['container', 'decode'], readFileSync(join(golden, f)));
for (const f of readdirSync(join(golden, 'bad')).filter((f) => f.endsWith('.nnc'))) put(['container', 'decode'], readFileSync(join(golden, 'bad', f)));
const archive = (model, data, laneSize, frameSize) => nnc.compressSync(data, { model, engine: 'ts', laneSize, frameSize, level: 1 });
const text = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(40));
const cases = [
  [goldenModel, sampleFromModel(goldenTensors, 300, 1), 1],
  [goldenModel, sampleFromModel(goldenTensors, 700, 2, 7), 7],
  [goldenModel, sampleFromModel(goldenTensors, 2000, 3, 64), 64],
  [goldenModel, sampleFromModel(goldenTensors, 4000, 4), 65536],
  [goldenModel, sampleFromModel(goldenTensors, 3000, 5, 250), 250, 1000],
  [goldenModel, sampleFromModel(goldenTensors, 1500, 12, 30), 30, 400],
  [goldenModel, text, 100],
  [goldenModel, Uint8Array.of(0, 255, 7), 1],
  [tinyModel, sampleFromModel(tinyTensors, 500, 6), 65536],
  [tinyModel, sampleFromModel(tinyTensors, 3000, 7, 33), 33],
  [tinyModel, sampleFromModel(tinyTensors, 4000, 8, 1000), 1000, 1500],
  [tinyModel, sampleFromModel(tinyTensors, 900, 13, 100), 100],
  [tinyModel, sampleFromModel(tinyTensors, 64, 9, 1), 1],
  [tinyModel, new Uint8Array(0), 65536],
];
const made = cases.map(([m, d, lane, frame]) => archive(m, d, lane, frame));
for (const a of made) put(['container', 'decode'], a);
put(['container', 'decode'], Buffer.concat([made[0], made[7], made[11]])); // frames of two models and a stored one
// Version-1 archives (no end record) and v1/v2 mixes, so the walk's end-record
// rules are reached from valid starting points: v1 then v2 and v2 then v1
// (both valid), v2 frames cut before their end record and then a v1 frame, or
// a second archive (both TRUNCATED), a lone end record after a v1 archive.
// All of the golden model and under fuzz_decode's 4096 content bytes, so
// the decode target decodes them up to the end-record check.
const v1 = join(golden, 'v1');
const v1Files = readdirSync(v1).filter((f) => f.endsWith('.nnc')).map((f) => readFileSync(join(v1, f)));
for (const b of v1Files) put(['container', 'decode'], b);
for (const f of readdirSync(join(v1, 'bad')).filter((f) => f.endsWith('.nnc'))) put(['container', 'decode'], readFileSync(join(v1, 'bad', f)));
const v1Multi = readFileSync(join(v1, 'multi-frame.nnc'));
const noEnd = (a) => a.subarray(0, a.length - 40);
put(['container', 'decode'], Buffer.concat([v1Multi, made[0], made[7]]));
put(['container', 'decode'], Buffer.concat([made[0], v1Multi, made[1]]));
put(['container', 'decode'], Buffer.concat([noEnd(made[1]), v1Multi]));
put(['container', 'decode'], Buffer.concat([noEnd(made[0]), made[1]]));
put(['container', 'decode'], Buffer.concat([v1Multi, made[0].subarray(made[0].length - 40)]));
// Mixed frames (method 2) with small tables, which fuzz_decode decodes (it
// only parses blocks asking for more than 4 MiB of tables or 64 lanes).
const mixedArchive = (modelBytes, data, laneSize, mix) => {
  const f = tsEngine.compressFrame(tsEngine.loadModel(modelBytes), data, { laneSize, threads: 1, mix });
  const t = new ArchiveTally();
  t.addFrame(f);
  return Buffer.concat([f, t.endRecord()]);
};
const small = (mask) => ({ mask, hb: mask & 0x1ffe ? 10 : 0, mb: mask & 0x2000 ? 12 : 0, a2b: mask & 0x10000 ? 8 : 0, level: 0 });
put(['container', 'decode'], mixedArchive(goldenModelBytes, text.subarray(0, 1200), 400, small(0x1ffff)));
put(['container', 'decode'], mixedArchive(goldenModelBytes, sampleFromModel(goldenTensors, 900, 14, 300), 300, small(0x1600b)));
put(['container', 'decode'], mixedArchive(goldenModelBytes, text.subarray(0, 700), 700, small(0x1bfff))); // no network
put(['container', 'decode'], mixedArchive(tinyBytes, sampleFromModel(tinyTensors, 1500, 15, 100), 100, small(0x06829)));
put(['container', 'decode'], mixedArchive(tinyBytes, sampleFromModel(tinyTensors, 600, 16), 600, small(0x4000)));

// --- round-trip inputs: 4 parameter bytes (model, lane, threads, frame size), then content;
// with the first byte's top bit set, 4 more (experts mask, table sizes, level) for a mixed frame
// (native/fuzz/fuzz_roundtrip.cc)
const params = [[0, 8, 1, 0], [1, 0, 0, 0], [1, 4, 2, 130], [0, 12, 0, 200], [1, 6, 1, 0]];
const contents = [new Uint8Array(0), text.subarray(0, 500), sampleFromModel(tinyTensors, 800, 10, 16), sampleFromModel(goldenTensors, 600, 11), Uint8Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 24)];
contents.forEach((c, i) => put(['roundtrip'], Buffer.concat([Buffer.from(params[i]), c])));
const mixedParams = [[0x80, 10, 1, 0, 0xff, 0xff, 0x01, 6], [0x81, 8, 0, 0, 0x29, 0x68, 0x01, 2], [0x80, 12, 2, 0, 0x00, 0x40, 0x00, 0], [0x81, 6, 1, 130, 0xff, 0xbf, 0x15, 9]];
[text.subarray(0, 600), sampleFromModel(tinyTensors, 500, 17, 100), sampleFromModel(goldenTensors, 400, 18), text.subarray(0, 300)].forEach((c, i) =>
  put(['roundtrip'], Buffer.concat([Buffer.from(mixedParams[i]), c])));

console.log(`fuzz corpus in ${out}: ${targets.map((t) => `${t} ${counts[t]}`).join(', ')}`);
