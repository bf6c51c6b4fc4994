#!/usr/bin/env node
/**
 * Load figures for docs/RELIABILITY.md (test/load.test.ts asserts the same
 * properties with loose bounds):
 *   - CALLS concurrent async calls (compress then decompress, mixed sizes and
 *     engines) in one process: all correct, wall time, peak RSS, the event
 *     loop's maximum delay meanwhile;
 *   - ROUNDS repeated rounds: heap, buffers and RSS after each (after GC);
 *   - the event loop's delay while one large native job runs (and a stream);
 *   - AbortSignal: time from abort() to the rejection, memory given back.
 *
 *   node --expose-gc scripts/load.mjs [--calls 1000] [--rounds 8] [--big-mb 32] [--json FILE]
 *                                     [--no-calls] [--no-abort]
 */
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nnc = await import(join(root, 'dist', 'index.js')).then((m) => m.default ?? m);
const { cpuAddon } = await import(join(root, 'dist', 'engine', 'cpu.js')).then((m) => m.default ?? m);
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? Number(args[args.indexOf(n) + 1]) : d);
const skip = (part) => args.includes(`--no-${part}`);
const CALLS = opt('--calls', 1000);
const ROUNDS = opt('--rounds', 8);
const BIG = opt('--big-mb', 32) * 1024 * 1024;
if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const MB = 1024 * 1024;
const addon = cpuAddon().addon;
const cpuOk = !!addon;
const golden = nnc.loadModel(join(root, 'test', 'fixtures', 'golden', 'model.nncm'));
const deflt = nnc.loadModel(nnc.defaultModelPath());

function text(n, seed) {
  const w = 'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they'.split(' ');
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  let p = 0;
  while (p < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const s = w[(x >>> 16) % w.length] + ((x >>> 8) % 13 ? ' ' : '.\n');
    p += b.write(s, p, 'latin1');
  }
  return b;
}
function noise(n, seed) {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
}

/** Call i: sizes 0 B..200 KB, the bundled text model or the golden one, cpu or ts (ts gets small inputs). */
function job(i) {
  const sizes = [0, 1, 37, 999, 4096, 30_000, 200_000];
  const ts = !cpuOk || i % 5 === 0;
  const n = sizes[i % (ts ? 4 : sizes.length)] + (i % 7);
  const data = i % 3 === 0 ? noise(n, i + 1) : text(n, i + 1);
  // The ts engine is the slow reference: it gets the small golden model.
  return { data, engine: ts ? 'ts' : 'cpu', model: ts || i % 2 ? golden : deflt, laneSize: [65536, 1000, 4096][i % 3] };
}

async function round(calls, offset) {
  // Inputs first: generating them is the harness's work, not the library's.
  const jobs = Array.from({ length: calls }, (_, k) => job(offset + k));
  const bytes = jobs.reduce((n, j) => n + j.data.length, 0);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const ok = await Promise.all(
    jobs.map(async ({ data, engine, model, laneSize }) => {
      const packed = await nnc.compress(data, { model, engine, laneSize, frameSize: 65536 });
      const back = await nnc.decompress(packed, { model, engine });
      return back.equals(data);
    }),
  );
  h.disable();
  return { seconds: (performance.now() - t0) / 1000, correct: ok.filter(Boolean).length, bytes, maxDelayMs: h.max / 1e6, p99DelayMs: h.percentile(99) / 1e6 };
}

function mem() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { rssMiB: +(m.rss / MB).toFixed(1), heapMiB: +(m.heapUsed / MB).toFixed(1), buffersMiB: +((m.arrayBuffers + m.external) / MB).toFixed(1) };
}

const results = { node: process.version, cpu: cpuOk, calls: CALLS };

// 1. Concurrent calls.
const first = skip('calls') ? { seconds: 0, correct: 0, bytes: 0, maxDelayMs: 0, p99DelayMs: 0 } : await round(CALLS, 0);
results.concurrent = { ...first, peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1), activeJobsAfter: addon?.activeJobs() ?? 0 };
console.log(`${CALLS} concurrent calls: ${first.correct}/${CALLS} correct, ${(first.bytes / 1e6).toFixed(1)} MB in ${first.seconds.toFixed(1)} s, ` +
  `event loop max delay ${first.maxDelayMs.toFixed(1)} ms (p99 ${first.p99DelayMs.toFixed(1)}), peak RSS ${results.concurrent.peakRssMiB} MiB`);

// 2. Rounds: memory after each.
results.rounds = [];
const m0 = mem();
for (let r = 0; r < (skip('calls') ? 0 : ROUNDS); r++) {
  const x = await round(CALLS, CALLS * (r + 1));
  const m = mem();
  results.rounds.push({ ...m, correct: x.correct, seconds: +x.seconds.toFixed(2) });
  console.log(`round ${r + 1}: ${x.correct}/${CALLS} correct in ${x.seconds.toFixed(1)} s; after GC: RSS ${m.rssMiB} MiB, heap ${m.heapMiB} MiB, buffers ${m.buffersMiB} MiB`);
}
results.memoryStart = m0;

// 3. The event loop while one large job runs.
async function delayDuring(label, fn) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await fn();
  h.disable();
  const r = { seconds: +((performance.now() - t0) / 1000).toFixed(2), maxDelayMs: +(h.max / 1e6).toFixed(1), p99DelayMs: +(h.percentile(99) / 1e6).toFixed(1), meanDelayMs: +(h.mean / 1e6).toFixed(2) };
  console.log(`${label}: ${r.seconds} s; event loop delay max ${r.maxDelayMs} ms, p99 ${r.p99DelayMs} ms, mean ${r.meanDelayMs} ms`);
  return r;
}
const big = text(BIG, 99);
results.eventLoop = {};
// The same measurement with nothing running: on a shared machine the OS
// alone delays timers now and then, and that is the floor for the figures below.
results.eventLoop.idle = await delayDuring('idle, for 10 s (baseline)', () => new Promise((r) => setTimeout(r, 10_000)));
if (cpuOk) {
  results.eventLoop.cpuOneFrame = await delayDuring(`compress ${BIG / MB} MiB as one frame (cpu)`, () => nnc.compress(big, { engine: 'cpu', frameSize: BIG }));
  results.eventLoop.cpuStream = await delayDuring(`stream ${BIG / MB} MiB through createCompressStream (cpu)`, () =>
    pipeline(Readable.from([big]), nnc.createCompressStream({ engine: 'cpu' }), new Writable({ write: (_c, _e, cb) => cb() })));
}
results.eventLoop.ts = await delayDuring('compress 60 KB on the ts engine (2 workers)', () => nnc.compress(big.subarray(0, 60_000), { engine: 'ts', frameSize: 30_000 }));

// 4. Abort: latency and memory.
// Five aborted jobs in a row: freed memory is reused, so RSS after the
// first and after the fifth are the same when nothing is kept.
async function abortLatency(label, start) {
  const lat = [];
  const rss = [];
  let code;
  for (let i = 0; i < 5; i++) {
    const ac = new AbortController();
    const p = start(ac.signal);
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    ac.abort();
    code = await p.then(() => 'finished', (e) => e.code);
    lat.push(performance.now() - t);
    rss.push(mem().rssMiB);
  }
  const r = { code, latencyMs: lat.map((x) => +x.toFixed(1)), activeJobsAfter: addon?.activeJobs() ?? 0, rssAfterEachMiB: rss };
  console.log(`${label}: ${code} ${r.latencyMs.join(', ')} ms after abort(); RSS after each ${rss.join(', ')} MiB; active native jobs ${r.activeJobsAfter}`);
  return r;
}
results.abort = {};
if (cpuOk && !skip('abort')) {
  results.abort.cpuCompress = await abortLatency(`abort a ${BIG / MB} MiB cpu compress`, (signal) => nnc.compress(big, { engine: 'cpu', frameSize: BIG, signal }));
  const arc = await nnc.compress(big.subarray(0, 8 * MB), { engine: 'cpu', frameSize: 8 * MB });
  results.abort.cpuDecompress = await abortLatency('abort an 8 MiB cpu decompress', (signal) => nnc.decompress(arc, { engine: 'cpu', signal }));
}
if (!skip('abort')) results.abort.ts = await abortLatency('abort a 1 MB ts compress', (signal) => nnc.compress(big.subarray(0, 1e6), { engine: 'ts', frameSize: 1e6, signal }));

const j = args.indexOf('--json');
if (j >= 0) writeFileSync(args[j + 1], JSON.stringify(results, null, 2) + '\n');
