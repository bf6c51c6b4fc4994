/**
 * Load: 1,000 concurrent async calls of mixed sizes and engines in one
 * process; memory stable over repeated rounds; the event loop responsive
 * while a large job runs; an AbortSignal stops a running job (native or
 * worker) and frees it. Thresholds are loose (CI machines are shared); the
 * measured figures come from scripts/load.mjs (docs/RELIABILITY.md).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compress, compressSync, createCompressStream, decompress, engineInfo, loadModel,
} from '../src/index.js';
import { cpuAddon } from '../src/engine/cpu.js';
import { generatedText, randomBytes } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cpu = engineInfo().engines.find((e) => e.name === 'cpu')!;
const model = loadModel(join(__dirname, 'fixtures', 'golden', 'model.nncm'));
const activeJobs = (): number => cpuAddon().addon?.activeJobs() ?? 0;
/** Appended to the titles of tests that need the addon, so a skip says why. */
const needsCpu = cpu.available ? '' : ` (skipped: the cpu engine is unavailable: ${cpu.reason})`;

/** Call i of a round: size, engine and content vary with i. */
function job(i: number): { data: Uint8Array; engine: 'ts' | 'cpu'; decodeWith: 'ts' | 'cpu'; laneSize: number } {
  const sizes = [0, 1, 37, 999, 4096, 12_345, 40_000];
  const useTs = !cpu.available || i % 5 === 0;
  // The ts engine is the slow reference: it gets the small sizes.
  const n = sizes[i % (useTs ? 4 : sizes.length)] + (i % 7);
  const data = i % 3 === 0 ? randomBytes(n, i) : generatedText(n, i);
  const engine = useTs ? 'ts' : 'cpu';
  // Decoded by the other engine where that is cheap: archives are engine-independent.
  const decodeWith = !cpu.available ? 'ts' : useTs ? 'cpu' : n < 2000 ? 'ts' : 'cpu';
  return { data, engine, decodeWith, laneSize: [65536, 100, 4096][i % 3] };
}

async function round(calls: number, offset = 0): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: calls }, async (_, k) => {
      const { data, engine, decodeWith, laneSize } = job(offset + k);
      // Level 1: lanes of 100 bytes would each reset a method-2 stage (tens of MiB), a thousand calls at once.
      const packed = await compress(data, { model, engine, laneSize, frameSize: 16_384, level: 1 });
      const back = await decompress(packed, { model, engine: decodeWith });
      return { ok: Buffer.from(data).equals(back), packed, data, laneSize };
    }),
  );
  for (const r of results) expect(r.ok).toBe(true);
  // Engines write identical archives: spot-check one in ten against the other engine.
  for (const r of results.filter((_, k) => k % 10 === 0)) {
    expect(compressSync(r.data, { model, engine: 'ts', laneSize: r.laneSize, frameSize: 16_384, level: 1 }).equals(r.packed)).toBe(true);
  }
}

function memory(): { heap: number; buffers: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers + m.external, rss: m.rss };
}

const MB = 1024 * 1024;

describe('load', () => {
  it('1,000 concurrent async calls of mixed sizes and engines all return correct results', async () => {
    await round(1000);
    expect(activeJobs()).toBe(0);
  });

  it('memory is stable across repeated rounds (no leak)', async () => {
    await round(150, 5000);
    const base = memory();
    const seen: ReturnType<typeof memory>[] = [];
    for (let r = 0; r < 5; r++) {
      await round(150, 5000 + 150 * r);
      seen.push(memory());
    }
    const last = seen[seen.length - 1];
    // Each round moves ~2 MB of data through both engines; a leak of even
    // one buffer per call would add MBs per round.
    expect(last.buffers - base.buffers).toBeLessThan(4 * MB);
    expect(last.heap - base.heap).toBeLessThan(8 * MB);
    expect(last.rss - base.rss).toBeLessThan(64 * MB);
    expect(activeJobs()).toBe(0);
  });

  it.skipIf(!cpu.available)(`the event loop stays responsive while a large native job runs${needsCpu}`, async () => {
    const big = generatedText(2 * MB, 3);
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = performance.now();
    const packed = await compress(big, { engine: 'cpu', frameSize: 2 * MB, level: 1 }); // level 1: under a second, not five
    const seconds = (performance.now() - t0) / 1000;
    h.disable();
    expect(packed.length).toBeLessThan(big.length);
    // The job ran for a long time (seconds) off the main thread; the loop never waited on it.
    expect(seconds).toBeGreaterThan(0.2);
    expect(h.max / 1e6).toBeLessThan(250);
  });

  it('the event loop stays responsive while the ts engine works in its workers', async () => {
    const data = generatedText(60_000, 4);
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    await compress(data, { model, engine: 'ts', frameSize: 10_000 });
    h.disable();
    expect(h.max / 1e6).toBeLessThan(250);
  });
});

describe('cancellation', () => {
  it.skipIf(!cpu.available)(`an AbortSignal stops a running native compress and decompress, and frees them${needsCpu}`, async () => {
    // The bundled text model on text: neural frames, a few MB/s.
    const big = generatedText(24 * MB, 5);
    const before = memory();
    for (const op of ['compress', 'decompress'] as const) {
      const input = op === 'compress' ? big : await compress(big.subarray(0, 3 * MB), { engine: 'cpu', frameSize: 3 * MB, level: 1 });
      if (op === 'decompress') expect(input[5]).toBe(1);
      const ac = new AbortController();
      const started = performance.now();
      const p = op === 'compress'
        ? compress(input, { engine: 'cpu', frameSize: 24 * MB, signal: ac.signal })
        : decompress(input, { engine: 'cpu', signal: ac.signal });
      await new Promise((r) => setTimeout(r, 150));
      expect(activeJobs()).toBe(1);
      const aborted = performance.now();
      ac.abort(new Error('user gave up'));
      const err = (await p.then(() => null, (e: unknown) => e)) as { code?: string; cause?: Error } | null;
      const latency = performance.now() - aborted;
      expect(err?.code).toBe('ABORT_ERR');
      expect(err?.cause?.message).toBe('user gave up');
      // Stopped within a batch (microseconds of work), far sooner than the
      // job would have taken; the margin is for a busy machine.
      expect(latency).toBeLessThan(1000);
      expect(aborted - started).toBeGreaterThan(100);
      // The job is gone: the worker destroyed, its output buffers freed.
      expect(activeJobs()).toBe(0);
    }
    const after = memory();
    expect(after.buffers - before.buffers).toBeLessThan(4 * MB);
  });

  it('an AbortSignal stops a running ts-engine job (its worker is terminated)', async () => {
    const data = generatedText(400_000, 6);
    const ac = new AbortController();
    const p = compress(data, { model, engine: 'ts', frameSize: 400_000, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 150));
    const t = performance.now();
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(performance.now() - t).toBeLessThan(200);
    // The pool still works after losing a worker.
    const small = generatedText(3000, 7);
    expect((await decompress(await compress(small, { model, engine: 'ts' }), { model, engine: 'ts' })).equals(Buffer.from(small))).toBe(true);
  });

  it('an already-aborted signal rejects before any work', async () => {
    const ac = new AbortController();
    ac.abort();
    for (const engine of cpu.available ? (['ts', 'cpu'] as const) : (['ts'] as const)) {
      await expect(compress('abc', { model, engine, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    }
    expect(activeJobs()).toBe(0);
  });

  it.skipIf(!cpu.available)(`aborting a stream stops its frame job, and destroying the pipeline does too${needsCpu}`, async () => {
    const ac = new AbortController();
    const big = generatedText(16 * MB, 8);
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 150);
    await expect(
      pipeline(Readable.from([big]), createCompressStream({ engine: 'cpu', frameSize: 16 * MB, signal: ac.signal }), sink),
    ).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(performance.now() - t0).toBeLessThan(2000);
    // The stream's 'error' waits for the job to stop: when pipeline rejects, it is gone.
    expect(activeJobs()).toBe(0);

    // No signal: the consumer fails mid-job, pipeline destroys the codec, the
    // job stops. (pipeline rejects without waiting for the codec's 'close';
    // the codec closes once its job is gone.)
    const failing = new Writable({ write: (_c, _e, cb) => cb(new Error('disk full')) });
    const codec = createCompressStream({ engine: 'cpu', frameSize: MB, level: 1 }); // level 1: the first frame in a fraction of a second
    const closed = new Promise<number>((resolve) => codec.on('close', () => resolve(activeJobs())));
    await expect(pipeline(Readable.from([big.subarray(0, MB), big]), codec, failing)).rejects.toThrow('disk full');
    expect(await closed).toBe(0);
  });
});
