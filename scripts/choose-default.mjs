#!/usr/bin/env node
/**
 * Choose the bundled default model from a pruning family (nnc prune -o DIR):
 * the best validation ratio among the models whose cpu engine compresses and
 * decompresses at ≥ MIN MB/s (the codec's speed target), measured here on
 * 2 MB of held-out text, best of 3. Writes models/default.nncm with metadata
 * saying what it was trained on and how, and its figures on the test parts
 * (the last 1/5 of each text file, never used in training).
 *
 *   node scripts/choose-default.mjs FAMILY_DIR TEST_DIR [--min 2] [--extra MODEL:VALIDBITS]... [--only F,F] [--note TEXT] [--name NAME]
 *   TEST_DIR holds NAME.test files (the last 1/5 of each corpus file).
 *   --extra adds a model trained outside the family on the same files and
 *   validation split (nnc train prints its validation bits per byte); the
 *   choice uses validation figures only, never the test parts.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = (p) => import(join(root, 'dist', p)).then((m) => m.default ?? m);
const nnc = await req('index.js');
const { serializeModel } = await req('format/model-file.js');

const [famDir, testDir] = process.argv.slice(2);
const opt = (flag, dflt) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : dflt);
const note = opt('--note', '');
const only = opt('--only', null)?.split(',') ?? null;
const name = opt('--name', 'nnc-default-text');
const min = Number(opt('--min', 2));
const report = JSON.parse(readFileSync(join(famDir, 'report.json'), 'utf8'));
const tests = readdirSync(testDir).filter((f) => f.endsWith('.test'));
const speedSample = Buffer.concat(tests.map((f) => readFileSync(join(testDir, f)))).subarray(0, 2 << 20);

async function speed(model) {
  let c = Infinity, d = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const p = await nnc.compress(speedSample, { model, engine: 'cpu' });
    const t1 = performance.now();
    await nnc.decompress(p, { model, engine: 'cpu' });
    const t2 = performance.now();
    c = Math.min(c, t1 - t0);
    d = Math.min(d, t2 - t1);
  }
  return { compress: speedSample.length / 1e3 / c, decompress: speedSample.length / 1e3 / d };
}

const extras = [];
process.argv.forEach((a, i) => {
  if (a !== '--extra') return;
  const [file, bits] = process.argv[i + 1].split(':');
  const model = nnc.loadModel(file);
  extras.push({ file, hidden: model.info.hidden, params: model.info.parameters, validBits: Number(bits), external: true });
});

const candidates = [];
for (const m of [...report.family, ...extras].filter((m) => !only || only.includes(m.file))) {
  const model = nnc.loadModel(m.external ? m.file : join(famDir, m.file));
  const s = await speed(model);
  console.error(`${m.file}: ${m.params} params, valid ${m.validBits.toFixed(4)}, ${s.compress.toFixed(2)} / ${s.decompress.toFixed(2)} MB/s`);
  candidates.push({ m, model, s });
}
const fast = candidates.filter((c) => c.s.compress >= min && c.s.decompress >= min).sort((a, b) => a.m.validBits - b.m.validBits);
const pick = fast[0] ?? candidates.sort((a, b) => b.s.compress - a.s.compress)[0];
console.error(`chosen: ${pick.m.file}`);

const figures = {};
for (const f of tests) {
  const data = readFileSync(join(testDir, f));
  const packed = await nnc.compress(data, { model: pick.model, engine: 'cpu' });
  figures[f.replace(/\.test$/, '')] = Number(((8 * packed.length) / data.length).toFixed(4));
}
const meta = {
  name,
  description: pick.m.external
    ? 'general model for English text, trained directly (unpruned): it beat every snapshot of the pruning family at the speed target'
    : 'general model for English text, chosen from a group-lasso pruning family',
  method:
    (pick.m.external ? `nnc train (hidden ${pick.m.hidden.join('-')}), compared with ` : '') +
    `nnc prune (float32 Adam lr ${report.settings.lr}, batch ${report.settings.batch}, seed ${report.settings.seed}, ` +
    `${report.settings.samples || 'all'} samples/epoch; unpruned k=${report.settings.k} E=${report.settings.E} hidden ${report.settings.hidden.join('-')}; ` +
    `group lasso, structural pruning, retrained snapshots; int8/u8 export) — chosen as the best validation ratio at ≥ ${min} MB/s on the cpu engine` +
    (note ? `. ${note}` : ''),
  trainedOn: report.files.map((f) => ({ file: f.file.split('/').pop().replace(/\.train$/, ''), bytes: f.bytes, part: 'first 4/5 of the corpus file (of which the last 1/5 validated)' })),
  created: new Date().toISOString().slice(0, 10),
  figures: {
    'bits per byte on test parts (last 1/5 of each file, real archives)': figures,
    parameters: pick.model.info.parameters,
    'validation bits per byte': Number(pick.m.validBits.toFixed(4)),
  },
};
writeFileSync(join(root, 'models', 'default.nncm'), serializeModel(pick.model.parsed.tensors, meta));
console.log(JSON.stringify({ chosen: pick.m.file, hidden: pick.m.hidden, params: pick.m.params, speed: pick.s, figures }, null, 2));
