#!/usr/bin/env node
/**
 * Pruning families per data type (issue: training and group-lasso pruning).
 * For each file: train on its first 4/5 (of which the last 1/5 validates),
 * run the lasso/prune/retrain pipeline, then report bits per byte on the
 * file's last 1/5 (the test part, never seen in training) for the unpruned
 * model and the chosen pruned model (the smallest whose validation size is
 * within 3% of the unpruned one's), beside gzip -9, bzip2 -9, xz -9 and
 * zstd -19 on the same test bytes, and the log relation fitted on the family.
 *
 *   node scripts/bench-train.mjs --out DIR [--hidden 128,128] [--epochs 6] [--samples 2000000]
 *        [--lasso-epochs 16] [--alpha0 2e-5] [--retrain 3] [--threads 2] FILE.xz...
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = (p) => import(join(root, 'dist', p)).then((m) => m.default ?? m);
const { Session } = await req('train/session.js');
const { runPipeline } = await req('train/pipeline.js');
const { fitLog, writeReport } = await req('train/report.js');
const nnc = await req('index.js');

const args = process.argv.slice(2);
const o = { out: '/tmp/nnc-bench-train', hidden: [128, 128], epochs: 6, samples: 2_000_000, lassoEpochs: 16, alpha0: 2e-5, retrain: 3, threads: availableParallelism(), ratio: 1.4 };
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--out') o.out = args[++i];
  else if (a === '--hidden') o.hidden = args[++i].split(',').map(Number);
  else if (a === '--epochs') o.epochs = Number(args[++i]);
  else if (a === '--samples') o.samples = Number(args[++i]);
  else if (a === '--lasso-epochs') o.lassoEpochs = Number(args[++i]);
  else if (a === '--alpha0') o.alpha0 = Number(args[++i]);
  else if (a === '--retrain') o.retrain = Number(args[++i]);
  else if (a === '--threads') o.threads = Number(args[++i]);
  else if (a === '--snapshot-ratio') o.ratio = Number(args[++i]);
  else files.push(a);
}

function tool(cmd, cargs, data) {
  return spawnSync(cmd, cargs, { input: data, maxBuffer: 2 ** 31 }).stdout.length;
}

const rows = [];
mkdirSync(o.out, { recursive: true });
for (const file of files) {
  const name = basename(file).replace(/\.xz$/, '');
  const data = file.endsWith('.xz') ? execFileSync('xz', ['-dc', file], { maxBuffer: 2 ** 31 }) : execFileSync('cat', [file], { maxBuffer: 2 ** 31 });
  const nTest = Math.floor(data.length / 5);
  const train = data.subarray(0, data.length - nTest);
  const test = data.subarray(data.length - nTest);
  const dir = join(o.out, name);
  mkdirSync(dir, { recursive: true });
  const trainFile = join(dir, 'train.bin');
  writeFileSync(trainFile, train);
  const t0 = Date.now();
  const s = Session.create([trainFile], { k: 16, E: 16, hidden: o.hidden, lr: 0.002, batch: 8192, seed: 1, threads: o.threads, laneSize: 65536, validation: 0.2, samples: o.samples });
  const family = await runPipeline(s, {
    outDir: dir, epochs: o.epochs, lassoEpochs: o.lassoEpochs, alpha0: o.alpha0, threshold: 1e-3, retrainEpochs: o.retrain,
    snapshotRatio: o.ratio, minWidth: 4, baseMeta: { name: `bench-${name}`, method: 'scripts/bench-train.mjs' },
    onModel: (m) => console.error(`${name}: ${m.file} ${m.params} params valid ${m.validBits.toFixed(4)}`),
    onEpoch: (r) => console.error(`${name}: ${r.phase} ${r.epoch} valid ${r.validBits.toFixed(4)} hidden ${r.hidden.join('-')}`),
  });
  const seconds = (Date.now() - t0) / 1000;
  writeReport(dir, { settings: s.settings, files: s.data.files, family, history: s.history, seconds });
  const base = family[0];
  const chosen = family.filter((m) => m.validBits <= base.validBits * 1.03).sort((a, b) => a.params - b.params)[0];
  const testBits = async (m) => {
    const model = nnc.loadModel(join(dir, m.file));
    return (8 * (await nnc.compress(test, { model, engine: 'cpu', threads: o.threads })).length) / test.length;
  };
  const fit = fitLog(family);
  rows.push({
    name, trainBytes: train.length, testBytes: test.length, seconds,
    unpruned: { params: base.params, hidden: base.hidden, test: await testBits(base), MBps: base.compressMBps },
    pruned: { params: chosen.params, hidden: chosen.hidden, test: await testBits(chosen), MBps: chosen.compressMBps },
    smallest: family[family.length - 1] && { params: family[family.length - 1].params, hidden: family[family.length - 1].hidden, test: await testBits(family[family.length - 1]) },
    gzip: (8 * tool('gzip', ['-9c'], test)) / test.length,
    bzip2: (8 * tool('bzip2', ['-9c'], test)) / test.length,
    xz: (8 * tool('xz', ['-9c', '-T1'], test)) / test.length,
    zstd: (8 * tool('zstd', ['-19', '-c', '-q'], test)) / test.length,
    fit,
  });
  writeFileSync(join(o.out, 'results.json'), JSON.stringify({ options: o, rows }, null, 2));
}

console.log(`Command: \`node scripts/bench-train.mjs ${args.join(' ')}\`  `);
console.log(`Machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}\n`);
console.log('Bits per byte on each file\'s test part (last 1/5). Unpruned and pruned: k=16, E=16; "pruned" is the smallest family member within 3% of the unpruned model on validation data.\n');
console.log('| data | unpruned (params) | bits/B | pruned (params) | bits/B | smallest (params) | bits/B | gzip -9 | bzip2 -9 | xz -9 | zstd -19 | fit: bits ≈ a + b·ln(params) | pipeline s |');
console.log('|---|---|---:|---|---:|---|---:|---:|---:|---:|---:|---|---:|');
for (const r of rows) {
  const f = r.fit ? `${r.fit.a.toFixed(3)} ${r.fit.b < 0 ? '−' : '+'} ${Math.abs(r.fit.b).toFixed(4)}·ln p (R² ${r.fit.r2.toFixed(2)})` : '—';
  console.log(`| ${r.name} | ${r.unpruned.hidden.join('-')} (${r.unpruned.params}) | ${r.unpruned.test.toFixed(3)} | ${r.pruned.hidden.join('-')} (${r.pruned.params}) | ${r.pruned.test.toFixed(3)} | ${r.smallest.hidden.join('-')} (${r.smallest.params}) | ${r.smallest.test.toFixed(3)} | ${r.gzip.toFixed(3)} | ${r.bzip2.toFixed(3)} | ${r.xz.toFixed(3)} | ${r.zstd.toFixed(3)} | ${f} | ${r.seconds.toFixed(0)} |`);
}
