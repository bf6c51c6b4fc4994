#!/usr/bin/env node
/**
 * Benchmark: nnc engines beside gzip -9, bzip2 -9, xz -9, zstd -19, PPMd
 * (7-Zip, `7z a -m0=PPMd:o=8`, Debian p7zip-full) and zpaq -m5 (Debian zpaq)
 * on the same bytes in the same run. Not a test: speed lives here, never in
 * tests. A baseline whose program is missing is listed as not run, with the
 * Debian package that brings it.
 *
 *   npm run bench -- [options] FILE...
 *     --part all|test     bytes to use: the whole file, or its last 1/5 (the test part)
 *     --model PATH|auto   model (default: the bundled English model, models/default.nncm;
 *                         auto: nnc's default, a bundled model chosen per frame)
 *     --engines cpu,ts    engines to run (default: every available one)
 *     --ts-bytes N        the ts engine is slow: it runs on the first N bytes (default 100000)
 *     --threads N         threads for the engines (default: all cores)
 *     --levels 1,6        levels to run for each engine (default: 1 and the default level)
 *     --reps N            best of N runs for the cpu engine (default 2; the ts engine runs once)
 *     --lane-size N       lane size (default: each level's, docs/FORMAT.md 4.3)
 *     --no-baselines      skip gzip/bzip2/xz/zstd/PPMd/zpaq
 *   FILE may be .xz (decompressed with xz -dc first).
 * Prints a Markdown report (command, machine, date, table) on stdout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nnc = await import(join(root, 'dist', 'index.js')).then((m) => m.default ?? m);
const { Predictor, fillContext } = await import(join(root, 'dist', 'engine', 'ts', 'predictor.js')).then((m) => m.default ?? m);
const { walkArchive } = await import(join(root, 'dist', 'format', 'archive.js')).then((m) => m.default ?? m);

const args = process.argv.slice(2);
const { DEFAULT_LEVEL } = await import(join(root, 'dist', 'format', 'mix-params.js'));
const opt = { part: 'all', engines: null, tsBytes: 100000, threads: availableParallelism(), laneSize: undefined, baselines: true, model: undefined, levels: [1, DEFAULT_LEVEL], reps: 2 };
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--part') opt.part = args[++i];
  else if (a === '--model') opt.model = args[++i];
  else if (a === '--engines') opt.engines = args[++i].split(',');
  else if (a === '--ts-bytes') opt.tsBytes = Number(args[++i]);
  else if (a === '--threads') opt.threads = Number(args[++i]);
  else if (a === '--lane-size') opt.laneSize = Number(args[++i]);
  else if (a === '--levels') opt.levels = args[++i].split(',').map(Number);
  else if (a === '--reps') opt.reps = Number(args[++i]);
  else if (a === '--no-baselines') opt.baselines = false;
  else files.push(a);
}
if (files.length === 0) {
  console.error('usage: npm run bench -- [--part test] [--model M] [--engines cpu,ts] FILE...');
  process.exit(1);
}

const auto = opt.model === 'auto';
const model = auto ? 'auto' : nnc.loadModel(opt.model ?? nnc.defaultModelPath());
const available = nnc.engineInfo().engines.filter((e) => e.available).map((e) => e.name);
const engines = (opt.engines ?? ['cpu', 'ts']).filter((e) => available.includes(e));

function load(file) {
  let data = file.endsWith('.xz') ? execFileSync('xz', ['-dc', file], { maxBuffer: 2 ** 31 }) : readFileSync(file);
  if (opt.part === 'test') data = data.subarray(data.length - Math.floor(data.length / 5));
  return data;
}

/** Best of `reps` wall times of fn (seconds). */
async function time(fn, reps) {
  let best = Infinity;
  let out;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = await fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { s: best, out };
}

function tool(cmd, cargs, dargs, data) {
  const t0 = performance.now();
  const c = spawnSync(cmd, cargs, { input: data, maxBuffer: 2 ** 31 });
  const tc = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const d = spawnSync(cmd, dargs, { input: c.stdout, maxBuffer: 2 ** 31 });
  const td = (performance.now() - t1) / 1000;
  if (!d.stdout.equals(data)) throw new Error(`${cmd} round trip failed`);
  return { size: c.stdout.length, tc, td };
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Archivers that take files, not pipes (7z writes no .7z to stdout; zpaq
 * keeps a journal): compress a temporary copy, measure the archive file,
 * extract and compare. The archive's own headers (tens of bytes) count.
 */
function fileTool(label, data, pack, unpack) {
  const dir = mkdtempSync(join(tmpdir(), 'nnc-bench-'));
  try {
    const src = join(dir, 'data.bin');
    writeFileSync(src, data);
    const t0 = performance.now();
    const archive = pack(dir, src);
    const tc = (performance.now() - t0) / 1000;
    const size = statSync(archive).size;
    rmSync(src);
    const t1 = performance.now();
    const out = unpack(dir, archive);
    const td = (performance.now() - t1) / 1000;
    if (!readFileSync(out).equals(data)) throw new Error(`${label} round trip failed`);
    return { size, tc, td };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const run = (cmd, cargs, cwd) => {
  const r = spawnSync(cmd, cargs, { cwd, maxBuffer: 2 ** 31 });
  if (r.status !== 0) throw new Error(`${cmd} ${cargs.join(' ')} failed: ${r.stderr}`);
};

const FILE_TOOLS = [
  ['PPMd (7z, o=8)', '7z', 'p7zip-full',
    (dir, src) => (run('7z', ['a', '-bd', '-m0=PPMd:o=8', join(dir, 'a.7z'), src], dir), join(dir, 'a.7z')),
    (dir, a) => (run('7z', ['e', '-bd', `-o${join(dir, 'x')}`, a], dir), join(dir, 'x', 'data.bin'))],
  ['zpaq -m5', 'zpaq', 'zpaq',
    (dir, src) => (run('zpaq', ['a', 'a.zpaq', 'data.bin', '-m5'], dir), join(dir, 'a.zpaq')),
    (dir, a) => (run('zpaq', ['x', a, '-to', 'x'], dir), join(dir, 'x', 'data.bin'))],
];

/** Ideal code length (bits) from the integer frequencies vs the coder's lane bytes. */
function coderOverhead(data, archive) {
  const p = new Predictor(model.parsed.tensors);
  const f = new Uint32Array(p.A);
  const ctx = new Uint16Array(p.k);
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    const start = i - (i % (opt.laneSize ?? 65536));
    fillContext(p, data, start, i, ctx);
    p.frequencies(ctx, f);
    const s = p.tokenOf[data[i]];
    bits += -Math.log2(f[s] / 65536) + (s === p.ESC ? 8 : 0);
  }
  let laneBytes = 0;
  for (const { header: h } of walkArchive(archive)) {
    if (h.method === 1) laneBytes += h.payloadSize - 4 * Math.ceil(h.contentSize / h.laneSize);
    else laneBytes = NaN;
  }
  return { ideal: bits / 8, laneBytes, overhead: (laneBytes - bits / 8) / (bits / 8) };
}

const mbps = (n, s) => (n / 1e6 / s).toPrecision(3);
const bpb = (size, n) => ((8 * size) / n).toFixed(3);
const rows = [];
for (const file of files) {
  const data = load(file);
  const name = basename(file).replace(/\.xz$/, '') + (opt.part === 'test' ? ' (test 1/5)' : '');
  if (opt.baselines) {
    for (const [label, cmd, c, d] of [
      ['gzip -9', 'gzip', ['-9c'], ['-dc']],
      ['bzip2 -9', 'bzip2', ['-9c'], ['-dc']],
      ['xz -9', 'xz', ['-9c', '-T1'], ['-dc']],
      ['zstd -19', 'zstd', ['-19', '-c', '-q'], ['-dc', '-q']],
    ]) {
      const r = tool(cmd, c, d, data);
      rows.push([name, data.length, label, bpb(r.size, data.length), mbps(data.length, r.tc), mbps(data.length, r.td), '']);
    }
    for (const [label, cmd, pkg, pack, unpack] of FILE_TOOLS) {
      if (!has(cmd)) {
        rows.push([name, data.length, label, '', '', '', `not run: ${cmd} not installed (Debian: apt-get install ${pkg})`]);
        continue;
      }
      const r = fileTool(label, data, pack, unpack);
      rows.push([name, data.length, label, bpb(r.size, data.length), mbps(data.length, r.tc), mbps(data.length, r.td), 'single-threaded']);
    }
  }
  for (const engine of engines) for (const level of opt.levels) {
    const input = engine === 'ts' ? data.subarray(0, Math.min(data.length, opt.tsBytes)) : data;
    const o = { model, engine, threads: opt.threads, level, ...(opt.laneSize ? { laneSize: opt.laneSize } : {}) };
    const reps = engine === 'ts' ? 1 : opt.reps;
    const c = await time(() => nnc.compress(input, o), reps);
    const d = await time(() => nnc.decompress(c.out, o), reps);
    if (!d.out.equals(input)) throw new Error(`${engine} round trip failed on ${file}`);
    let note = input.length < data.length ? `first ${input.length} bytes` : '';
    if (!auto && level === 1 && (engine === 'ts' || engines.length === 1)) {
      const sample = input.subarray(0, Math.min(input.length, opt.tsBytes));
      const ov = coderOverhead(sample, nnc.compressSync(sample, { ...o, engine: engines[0] }));
      note += `${note ? '; ' : ''}coder overhead ${(100 * ov.overhead).toFixed(4)}% (ideal ${ov.ideal.toFixed(0)} B, coded ${ov.laneBytes} B)`;
    }
    rows.push([name, input.length, `nnc -${level} ${engine} (T=${opt.threads})`, bpb(c.out.length, input.length), mbps(input.length, c.s), mbps(input.length, d.s), note]);
  }
}

// Incompressible input: random bytes must grow by < 0.1% (stored frames, 36 bytes each, and the 40-byte end record).
if (engines.length > 0) {
  const n = 8 * 1024 * 1024;
  const noise = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) noise.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const engine = engines[0];
  const level = opt.levels[opt.levels.length - 1];
  const c = await time(() => nnc.compress(noise, { model, engine, threads: opt.threads, level, ...(opt.laneSize ? { laneSize: opt.laneSize } : {}) }), 1);
  const growth = (100 * (c.out.length - n)) / n;
  rows.push(['random bytes', n, `nnc -${level} ${engine} (T=${opt.threads})`, bpb(c.out.length, n), mbps(n, c.s), '', `grows by ${c.out.length - n} B (${growth.toFixed(4)}%)`]);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`Command: \`npm run bench -- ${args.join(' ')}\`  `);
console.log(`Machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}  `);
if (auto) console.log(`Model: auto, per frame among ${nnc.bundledModels().map((m) => m.metadata.name ?? m.id).join(', ')}\n`);
else console.log(`Model: ${model.metadata.name ?? '?'} (${model.id}), k=${model.info.k}, hidden ${model.info.hidden.join('-')}, ${model.info.parameters} parameters\n`);
console.log('| file | bytes | codec | bits/byte | compress MB/s | decompress MB/s | notes |');
console.log('|---|---:|---|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
