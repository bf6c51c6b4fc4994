/**
 * Where the cpu engine's async jobs run (native/addon/jobs.h): on the addon's
 * own threads, not libuv's pool, so fs (and dns, crypto, zlib) stay
 * responsive while frame jobs run; the input is the engine's own copy, so a
 * caller may reuse its buffer at once; a process that exits, or a
 * worker_thread that is terminated, with a job in flight neither waits for
 * the job nor crashes. Skipped, with the reason, where the addon is not built.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { compress, decompress, engineInfo } from '../src/index.js';
import { cpuAddon, createCpuEngine } from '../src/engine/cpu.js';
import { defaultModelPath } from '../src/model/model.js';
import { packageRoot } from '../src/package-root.js';
import { generatedText } from './helpers.js';

const cpu = engineInfo().engines.find((e) => e.name === 'cpu')!;
const activeJobs = (): number => cpuAddon().addon?.activeJobs() ?? 0;
const MB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'nnc-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Loads the addon through the library's own loader (dist/, built by `npm
// test`'s pretest); used by child processes and workers (no TypeScript there).
const LOAD_ADDON = `
  const root = ${JSON.stringify(packageRoot())};
  const addon = require(require('node:path').join(root, 'dist', 'native', 'addon.js')).loadAddon().addon.exports;
  const model = addon.loadModel(require('node:fs').readFileSync(require('node:path').join(root, 'models', 'default.nncm')));
  // Text the default model compresses (neural frames, a few MB/s per thread).
  const text = (n) => Buffer.alloc(n, 'the network predicts each byte of the frame from its context; ');
`;

describe.skipIf(!cpu.available)(`native jobs${cpu.available ? '' : ` (skipped: ${cpu.reason})`}`, () => {
  it('fs.promises.readFile stays fast during 4 concurrent 4 MiB compress() calls', async () => {
    const small = join(dir, 'small.txt');
    writeFileSync(small, 'hello\n'.repeat(100));
    await readFile(small);
    const inputs = [0, 1, 2, 3].map((i) => generatedText(4 * MB, 40 + i));
    // Level 1 and one model: the test is about the threads the jobs run on (level 6 took 39 s
    // instead of a few; model 'auto' would add the choice's sample jobs to the count).
    const jobs = inputs.map((b) => compress(b, { engine: 'cpu', level: 1, model: defaultModelPath() }));
    await sleep(100);
    // All four are queued or running: on libuv's pool they would hold all 4 of its threads.
    expect(activeJobs()).toBe(4);
    const t0 = performance.now();
    const text = await readFile(small, 'utf8');
    const ms = performance.now() - t0;
    // Still under load when the read finished, so it was measured during the jobs.
    const during = activeJobs();
    // The figure docs/RELIABILITY.md quotes.
    console.log(`readFile during 4 concurrent 4 MiB compress() calls: ${ms.toFixed(1)} ms`);
    const packed = await Promise.all(jobs);
    expect(text.length).toBe(600);
    expect(during).toBeGreaterThan(0);
    // Idle: ~1 ms; on libuv's pool the read waited for a whole frame job (seconds).
    expect(ms).toBeLessThan(500);
    for (const [i, p] of packed.entries()) expect(p.length).toBeLessThan(inputs[i].length / 2);
    expect(activeJobs()).toBe(0);
  });

  it('async jobs use their own copy of the input: the caller may overwrite it as soon as the call returns', async () => {
    const original = generatedText(MB, 50);
    const input = Buffer.from(original);
    // One frame: compress() queues its only job before it returns.
    const pending = compress(input, { engine: 'cpu', level: 1 });
    input.fill(0x41); // the caller reuses its buffer while the job runs
    const packed = await pending;
    expect((await decompress(packed, { engine: 'cpu' })).equals(Buffer.from(original))).toBe(true);

    // The engine's decode job: the frame buffer overwritten while it runs.
    const engine = createCpuEngine();
    const model = engine.loadModel(readFileSync(defaultModelPath()));
    const frame = engine.compressFrame(model, original, { laneSize: 65536, threads: 1 });
    const copy = Buffer.from(frame);
    const decoding = engine.decompressFrameAsync(model, copy, { threads: 1 });
    copy.fill(0);
    expect(Buffer.from(await decoding).equals(Buffer.from(original))).toBe(true);
  });

  it('process.exit() with a job in flight exits at once (the job is not waited for)', async () => {
    const child = spawn(process.execPath, ['-e', `${LOAD_ADDON}
      addon.compressFrameAsync(model, text(16 << 20), 65536, 1, 'auto', () => console.log('finished'));
      setTimeout(() => { console.log('exiting'); process.exit(7); }, 300);
    `], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let exitingAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (!exitingAt && out.includes('exiting')) exitingAt = performance.now();
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    const ms = performance.now() - exitingAt;
    expect(err).toBe('');
    expect(out).toBe('exiting\n');
    expect(code).toBe(7);
    // The job alone takes several seconds (16 MiB on one thread); libuv's
    // pool is joined at exit, so with the job on it the process waited for it.
    expect(ms).toBeLessThan(1000);
  });

  it('works inside a worker_thread, and terminating a worker with a job in flight is prompt and clean', async () => {
    const worker = new Worker(`${LOAD_ADDON}
      const { parentPort } = require('node:worker_threads');
      const data = text(200000);
      addon.compressFrameAsync(model, data, 65536, 1, 'auto', (err, packed) => {
        if (err) throw err;
        addon.decompressFrameAsync(model, packed, 1, 'auto', (err2, back) => {
          if (err2) throw err2;
          parentPort.postMessage({ ok: Buffer.compare(back, data) === 0, ratio: packed.length / data.length });
          // A long job, still running when the worker is terminated, and a
          // chain of short ones, so completions race the termination too.
          addon.compressFrameAsync(model, text(32 << 20), 65536, 1, 'auto', () => parentPort.postMessage('finished'));
          const chain = () => addon.compressFrameAsync(model, text(2000), 65536, 1, 'auto', chain);
          chain();
          setTimeout(() => parentPort.postMessage('busy'), 100);
        });
      });
    `, { eval: true });
    const messages: unknown[] = [];
    const busy = new Promise<void>((resolve, reject) => {
      worker.on('message', (m) => {
        messages.push(m);
        if (m === 'busy') resolve();
      });
      worker.on('error', reject);
    });
    await busy;
    expect(messages[0]).toMatchObject({ ok: true });
    expect((messages[0] as { ratio: number }).ratio).toBeLessThan(0.5);
    const t0 = performance.now();
    const exitCode = await worker.terminate();
    // Terminating cancels the job (it stops within one batch) and joins its thread.
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(exitCode).toBe(1);
    expect(messages).not.toContain('finished');
    // The main thread's engine is unaffected.
    const data = generatedText(50_000, 51);
    expect((await decompress(await compress(data, { engine: 'cpu' }), { engine: 'cpu' })).equals(Buffer.from(data))).toBe(true);
  });

  it('terminating a worker_thread during a trainer epoch is prompt and clean', async () => {
    const worker = new Worker(`${LOAD_ADDON}
      const { parentPort } = require('node:worker_threads');
      const t = new addon.Trainer({ k: 6, E: 6, hidden: [48, 32], seed: 7, threads: 2, batch: 512, microBatch: 256, laneSize: 4096 });
      t.setData([text(4 << 20)], [text(20000)]);
      let reported = false;
      t.trainEpoch({}, () => { if (!reported) parentPort.postMessage('progress'); reported = true; })
        .then(() => parentPort.postMessage('finished'));
    `, { eval: true });
    const messages: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m) => {
        messages.push(m);
        resolve();
      });
      worker.on('error', reject);
    });
    const t0 = performance.now();
    expect(await worker.terminate()).toBe(1);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(messages).toEqual(['progress']);
  });
});
