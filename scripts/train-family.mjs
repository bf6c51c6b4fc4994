#!/usr/bin/env node
// Reproduces the bundled model family (models/dna.nncm, quality.nncm,
// code.nncm, general.nncm; docs/MODELS.md) from the corpus in ../shared/data.
//
// Protocol: every model is trained ONLY on the first 4/5 of each corpus file
// (floor(4·size/5) bytes); the last 1/5 is the test part, never seen in
// training, and the figures written into each model's metadata are measured
// on it. `nnc train` holds out the last 1/5 of each file it is given for
// early stopping: that lies inside the first 4/5.
//
//   node scripts/train-family.mjs [--data DIR] [--work DIR] [--out DIR]
//                                 [--only dna,quality,...] [--measure-only] [-T N] [-f]
//
// --measure-only re-measures the figures of models already in --out and
// rewrites their metadata only (metadata is not part of a model's ID, so
// archives made with them still decode). Without -f an existing model in
// --out is never replaced: archives name their model by ID.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { parseModel, serializeModel } = require(join(root, 'dist/format/model-file.js'));
const nnc = require(join(root, 'dist/index.js'));

const EPOCHS = 5;
const SAMPLES = 3_000_000;
// The first CAP bytes of a large file's first 4/5 only: an epoch samples
// uniformly over all training bytes, so an uncapped 27 MB file (silesia-nci)
// would drown the small ones; and the capped share keeps each run short.
const CAP = 2_000_000;

/** The family: name → corpus files (without .xz), network, what it is for. */
const FAMILY = {
  dna: {
    files: ['canterbury-E.coli'],
    hidden: '16,16',
    fasta: true,
    cap: Infinity, // 3.7 MB, and a tiny network: the whole first 4/5
    epochs: 10, // 7 s an epoch; still improving slowly at 5
    description: 'DNA sequences (a/c/g/t, upper- or lower-case), raw or FASTA with header lines; a tiny network: on DNA a larger one gains almost nothing',
  },
  quality: {
    files: ['qs-htscodecs-q4.txt', 'qs-htscodecs-q8.txt', 'qs-htscodecs-q40.txt', 'qs-htscodecs-qvar.txt'],
    hidden: '64,64',
    cap: 3_000_000,
    epochs: 12, // 12 MB: still 0.4%/epoch better at 5
    description: 'sequencing quality-score strings (FASTQ quality lines, one read per line), binned (4 or 8 levels) or full-range',
  },
  code: {
    files: ['silesia-xml', 'silesia-samba', 'canterbury-cp.html', 'canterbury-fields.c', 'canterbury-grammar.lsp', 'canterbury-xargs.1',
      'calgary-progc', 'calgary-progl', 'calgary-progp', 'calgary-bib'],
    hidden: '64,64',
    epochs: 12, // 4 MB of varied data: still 2%/epoch better at 5 epochs
    description: 'source code and markup: C, Lisp, Pascal, HTML, XML, man pages, BibTeX, build files',
  },
  general: {
    files: ['silesia-ooffice', 'silesia-osdb', 'silesia-mr', 'silesia-x-ray', 'silesia-nci', 'canterbury-kennedy.xls', 'canterbury-sum',
      'canterbury-ptt5', 'calgary-obj1', 'calgary-obj2', 'calgary-geo', 'calgary-pic', 'calgary-trans'],
    hidden: '64,64',
    epochs: 12, // 12 MB: 5 epochs of 3 M samples see it barely once
    description: 'binaries and everything else: executables, object files, databases, spreadsheets, images, chemical tables, terminal transcripts',
  },
};

function parseArgs(argv) {
  const a = { data: resolve(root, '../shared/data'), work: '/tmp/nnc-family', out: join(root, 'models'), only: Object.keys(FAMILY), measureOnly: false, threads: 2, force: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--data') a.data = resolve(argv[++i]);
    else if (v === '--work') a.work = resolve(argv[++i]);
    else if (v === '--out') a.out = resolve(argv[++i]);
    else if (v === '--only') a.only = argv[++i].split(',');
    else if (v === '--measure-only') a.measureOnly = true;
    else if (v === '-T') a.threads = Number(argv[++i]);
    else if (v === '-f') a.force = true;
    else throw new Error(`unknown argument ${v}`);
  }
  for (const n of a.only) if (!FAMILY[n]) throw new Error(`no model ${n} in the family (${Object.keys(FAMILY).join(', ')})`);
  return a;
}

/** A corpus file whole, decompressed. */
function corpus(data, name) {
  return execFileSync('xz', ['-dc', join(data, `${name}.xz`)], { maxBuffer: 1 << 30 });
}

/** Training (first 4/5) and test (last 1/5) parts of a corpus file. */
function split(buf) {
  const cut = Math.floor((4 * buf.length) / 5);
  return { train: buf.subarray(0, cut), test: buf.subarray(cut) };
}

/**
 * The DNA model must serve upper-case FASTA as well as the corpus's raw
 * lower-case sequence: the same training bytes, upper-cased, as FASTA
 * records (a header line, then 60 bases a line).
 */
function fastaCopy(seq) {
  const parts = [];
  const record = 20_000;
  for (let at = 0, n = 1; at < seq.length; at += record, n++) {
    const end = Math.min(seq.length, at + record);
    parts.push(`>NC_000913.3:${at + 1}-${end} Escherichia coli str. K-12 substr. MG1655, fragment ${n}\n`);
    const bases = seq.subarray(at, end).toString('latin1').toUpperCase();
    for (let i = 0; i < bases.length; i += 60) parts.push(bases.slice(i, i + 60), '\n');
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function prepare(a, name, spec) {
  const dir = join(a.work, name);
  mkdirSync(join(dir, 'train'), { recursive: true });
  mkdirSync(join(dir, 'test'), { recursive: true });
  const trainFiles = [];
  const trainedOn = [];
  const tests = [];
  const cap = spec.cap ?? CAP;
  for (const f of spec.files) {
    const { train, test } = split(corpus(a.data, f));
    const used = train.subarray(0, Math.min(train.length, cap));
    writeFileSync(join(dir, 'train', f), used);
    writeFileSync(join(dir, 'test', f), test);
    trainFiles.push(join(dir, 'train', f));
    trainedOn.push({ file: f, bytes: used.length, part: used.length < train.length ? `first 4/5 (its first ${used.length} bytes)` : 'first 4/5' });
    tests.push(join(dir, 'test', f));
    if (spec.fasta) {
      const copy = fastaCopy(train);
      const cf = join(dir, 'train', `${f}.upper.fa`);
      writeFileSync(cf, copy);
      trainFiles.push(cf);
      trainedOn.push({ file: `${f} (upper-case FASTA copy)`, bytes: copy.length, part: 'first 4/5, upper-cased, as FASTA records of 20000 bases (a header line, then 60 bases a line)' });
      // Measured beside the raw test part, not counted in its "all".
      writeFileSync(join(dir, 'test', `${f}.upper.fa`), fastaCopy(test));
      tests.push(join(dir, 'test', `${f}.upper.fa`));
    }
  }
  return { dir, trainFiles, trainedOn, tests };
}

function train(a, name, spec, prep) {
  const tmp = join(prep.dir, `${name}.nncm`);
  const args = ['-n', '5', process.execPath, join(root, 'bin/nnc.js'), 'train', ...prep.trainFiles, '-o', tmp, '-f',
    '--hidden', spec.hidden, '--epochs', String(spec.epochs ?? EPOCHS), '--samples', String(SAMPLES), '--seed', '1', '-T', String(a.threads)];
  const t0 = Date.now();
  const r = spawnSync('nice', args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`nnc train for ${name} failed (exit ${r.status})`);
  const seconds = Math.round((Date.now() - t0) / 1000);
  const method = `nnc train (hidden ${spec.hidden.replace(',', '-')}, k=16, E=16, float32 Adam lr 0.002, batch 8192, seed 1, ` +
    `at most ${spec.epochs ?? EPOCHS} epochs of ${SAMPLES} samples, early stop on the last 1/5 of each training file; int8/u8 export) ` +
    `by scripts/train-family.mjs, ${seconds} s on 2 shared cores`;
  return { file: tmp, method, seconds };
}

const bpb = (bytes, n) => Number(((8 * bytes) / n).toFixed(4));

function xz9(file) {
  return execFileSync('xz', ['-9', '-c', file], { maxBuffer: 1 << 30 }).length;
}

/** Bits per byte on every test part: the model at levels 1 and 6, the default model at 6, xz -9. */
function measure(a, modelBytes, tests) {
  const model = new nnc.Model(modelBytes);
  // Named explicitly: with no model given, compression now chooses among
  // every bundled model (-m auto), this family included.
  const english = new nnc.Model(readFileSync(join(root, 'models/default.nncm')));
  const rows = { level1: {}, level6: {}, default6: {}, xz9: {} };
  const sum = { n: 0, level1: 0, level6: 0, default6: 0, xz9: 0 };
  for (const t of tests) {
    const buf = readFileSync(t);
    const f = basename(t);
    const c1 = nnc.compressSync(buf, { model, level: 1, threads: a.threads, engine: 'cpu' }).length;
    const c6 = nnc.compressSync(buf, { model, level: 6, threads: a.threads, engine: 'cpu' }).length;
    const d6 = nnc.compressSync(buf, { model: english, level: 6, threads: a.threads, engine: 'cpu' }).length;
    const x = xz9(t);
    rows.level1[f] = bpb(c1, buf.length);
    rows.level6[f] = bpb(c6, buf.length);
    rows.default6[f] = bpb(d6, buf.length);
    rows.xz9[f] = bpb(x, buf.length);
    if (f.endsWith('.upper.fa')) continue;
    sum.n += buf.length; sum.level1 += c1; sum.level6 += c6; sum.default6 += d6; sum.xz9 += x;
    console.log(`  ${f}: ${buf.length} B test part; level 1 ${rows.level1[f]}, level 6 ${rows.level6[f]}, default model level 6 ${rows.default6[f]}, xz -9 ${rows.xz9[f]} bits/byte`);
  }
  for (const k of ['level1', 'level6', 'default6', 'xz9']) rows[k].all = bpb(sum[k], sum.n);
  console.log(`  all ${sum.n} B: level 1 ${rows.level1.all}, level 6 ${rows.level6.all}, default model level 6 ${rows.default6.all}, xz -9 ${rows.xz9.all}`);
  return {
    'test bytes (last 1/5 of each file)': sum.n,
    'bits per byte on test parts (last 1/5 of each file, real archives), level 1': rows.level1,
    'bits per byte on test parts, level 6 (default)': rows.level6,
    'bits per byte on test parts, the English default model at level 6': rows.default6,
    'bits per byte on test parts, xz -9': rows.xz9,
  };
}

function writeModel(path, bytes) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  mkdirSync(a.out, { recursive: true });
  for (const name of a.only) {
    const spec = FAMILY[name];
    const out = join(a.out, `${name}.nncm`);
    console.log(`${name}: preparing ${spec.files.length} file(s)`);
    const prep = prepare(a, name, spec);
    let parsed;
    let meta;
    if (a.measureOnly) {
      parsed = parseModel(readFileSync(out));
      meta = { ...parsed.metadata };
    } else {
      if (existsSync(out) && !a.force) throw new Error(`${out} exists; use -f to replace it (archives made with it need it to decode)`);
      const t = train(a, name, spec, prep);
      parsed = parseModel(readFileSync(t.file));
      meta = {
        name: `nnc-${name}`,
        description: spec.description,
        trainedOn: prep.trainedOn,
        method: t.method,
        created: new Date().toISOString().slice(0, 10),
        figures: { ...(parsed.metadata.figures ?? {}) },
      };
    }
    const figures = { ...(meta.figures ?? {}), parameters: parsed.tensors ? countParams(parsed.tensors) : undefined };
    Object.assign(figures, measure(a, parsed.bytes ?? readFileSync(out), prep.tests));
    const bytes = serializeModel(parsed.tensors, { ...meta, figures });
    if (parseModel(bytes).id !== parsed.id) throw new Error('metadata changed the model ID');
    writeModel(out, bytes);
    console.log(`${name}: wrote ${out} (${bytes.length} bytes, ID ${parsed.id})`);
  }
}

function countParams(t) {
  return new nnc.Model(serializeModel(t, {})).info.parameters;
}

main();
