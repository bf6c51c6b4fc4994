#!/usr/bin/env node
// Fits a model in closed form (it was the bundled default until a trained one replaced it) from the
// English text files of ../shared/data, using only the first 4/5 of each file
// (the last 1/5 is test data and is never used for fitting), and records the
// ideal code length on the test parts of dickens, bible and world192.
//
// Usage (after `npm run build:ts && npm run build:support`: the fitter, scripts/closed-form.ts, is not in the package):
//   node scripts/fit-closed-form-model.mjs [--data DIR] [--out FILE] [--order1 N] [--skip N] [--lambda X]
//     [--alpha X] [--beta X] [--min-pair N]   (fit options; defaults: chosen by training gain)
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { fitClosedForm, order2CodeLength } = require(join(root, 'build-support/scripts/closed-form.js'));
const { serializeModel, parseModel } = require(join(root, 'dist/format/model-file.js'));
const { Predictor } = require(join(root, 'dist/engine/ts/predictor.js'));

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const dataDir = resolve(root, opt('--data', '../shared/data'));
const outFile = resolve(root, opt('--out', 'closed-form.nncm'));
const fitOpts = {};
for (const [flag, key] of [['--order1', 'order1Contexts'], ['--skip', 'skipContexts'], ['--lambda', 'skipWeight'], ['--alpha', 'alpha'], ['--beta', 'beta'], ['--min-pair', 'minPairCount']]) {
  const v = opt(flag, undefined);
  if (v !== undefined) fitOpts[key] = Number(v);
}

const FILES = [
  'silesia-dickens.xz',
  'canterbury-bible.txt.xz',
  'canterbury-world192.txt.xz',
  'canterbury-alice29.txt.xz',
  'canterbury-asyoulik.txt.xz',
  'canterbury-lcet10.txt.xz',
  'canterbury-plrabn12.txt.xz',
  'calgary-book1.xz',
  'calgary-book2.xz',
  ...[1, 2, 3, 4, 5, 6].map((i) => `calgary-paper${i}.xz`),
  'calgary-news.xz',
  'calgary-bib.xz',
];
const TEST = ['silesia-dickens.xz', 'canterbury-bible.txt.xz', 'canterbury-world192.txt.xz'];
// xz -9 on the same test parts (bits per byte), for comparison.
const XZ9 = { 'silesia-dickens.xz': 2.368, 'canterbury-bible.txt.xz': 2.036, 'canterbury-world192.txt.xz': 1.759 };
const LANE = 65536;

const load = (f) => {
  const p = join(dataDir, f);
  if (!existsSync(p)) throw new Error(`missing ${p}`);
  return new Uint8Array(execFileSync('xz', ['-dc', p], { maxBuffer: 1 << 30 }));
};
const split = (d) => Math.floor((d.length * 4) / 5);

const train = [];
const trainedOn = [];
const testParts = {};
for (const f of FILES) {
  const d = load(f);
  const cut = split(d);
  train.push(d.subarray(0, cut));
  trainedOn.push({ file: f.replace(/\.xz$/, ''), bytes: cut, part: 'first 4/5' });
  if (TEST.includes(f)) testParts[f] = d.subarray(cut);
}

const t0 = Date.now();
const { tensors, stats } = fitClosedForm(train, fitOpts);
const fitMs = Date.now() - t0;

// Ideal code length with the reference predictor (exact: the model only looks at
// the two previous tokens, so its output is cached per token pair).
const p = new Predictor(tensors);
function order2Bits(parts) {
  let bits = 0, n = 0;
  for (const d of parts) { bits += order2CodeLength(p, d, LANE); n += d.length; }
  return bits / n;
}
const figures = {};
for (const f of TEST) {
  const d = testParts[f];
  const bpb = order2CodeLength(p, d, LANE) / d.length;
  const name = f.replace(/\.xz$/, '');
  figures[`${name}.test.bitsPerByte`] = Number(bpb.toFixed(4));
  figures[`${name}.test.bytes`] = d.length;
  figures[`${name}.test.xz9BitsPerByte`] = XZ9[f];
}
figures.testPart = 'last 1/5 of each file (never used for fitting), whole part';
figures.measure = `ideal code length sum(-log2(f/65536)) of the reference predictor, escapes +8 bits, lanes of ${LANE} bytes`;
figures.trainBytes = stats.bytes;
figures.trainOrder0Entropy = Number(stats.order0Entropy.toFixed(4));
figures.trainOrder1Entropy = Number(stats.order1Entropy.toFixed(4));
figures.trainOrder2Entropy = Number(stats.order2Entropy.toFixed(4));
figures.trainBitsPerByte = Number(order2Bits(train).toFixed(4));
figures.trainFloatModelBitsPerByte = Number(stats.modelTrainBits.toFixed(4));

const metadata = {
  name: 'nnc-default-text-closed-form-v1',
  description:
    'Default model for English text until a trained one ships: a smoothed order-1 byte model with order-2 corrections ' +
    'for the most informative byte pairs, fitted in closed form from byte counts and mapped exactly into the network.',
  method:
    `closed form (scripts/closed-form.ts), no training loop: alphabet = the ${stats.A - 1} byte values seen; ` +
    `layer 0 = ${stats.order1Contexts} exact detectors of the previous token + ${stats.order2Contexts} of (previous, second previous) ` +
    'token pairs chosen by log-likelihood gain (embedding = token index as an 8-bit ±127 code); layer 1 = one node per symbol ' +
    'holding its log-probability in 1/16-nat steps (bias = fallback distribution, weights = telescoping order-1 and order-2 ' +
    'log-ratio corrections); output = identity with EXP[d] = 65536·exp(-d/16). Probabilities: Dirichlet interpolation ' +
    'order-2 → order-1 (weight 8) → order-0 (weight 4) → uniform.',
  trainedOn,
  created: new Date().toISOString().slice(0, 10),
  figures,
};
const bytes = serializeModel(tensors, metadata);
const parsed = parseModel(bytes); // throws if invalid
writeFileSync(outFile, bytes);

console.log(`fitted in ${fitMs} ms on ${stats.bytes} bytes: A=${stats.A}, order-1 detectors ${stats.order1Contexts}, skip ${stats.skipContexts} (λ=${stats.skipWeight.toFixed(2)}), order-2 ${stats.order2Contexts}, clipped ${stats.clipped}`);
console.log(`train entropies: order-0 ${stats.order0Entropy.toFixed(4)}, order-1 ${stats.order1Entropy.toFixed(4)}, order-2 ${stats.order2Entropy.toFixed(4)}; float model ${stats.modelTrainBits.toFixed(4)}, integer model ${figures.trainBitsPerByte} bits/byte`);
for (const f of TEST) {
  const name = f.replace(/\.xz$/, '');
  console.log(`${name} test part (${figures[`${name}.test.bytes`]} bytes): ${figures[`${name}.test.bitsPerByte`]} bits/byte (xz -9: ${XZ9[f]})`);
}
console.log(`wrote ${outFile}: ${bytes.length} bytes, model id ${parsed.id}`);
