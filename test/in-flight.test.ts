/**
 * Several frames in flight (src/in-flight.ts): results in input order
 * whatever order the jobs finish in; the first failing job (in input order)
 * decides the error and the others are cancelled and awaited; and through
 * the APIs, damage is still reported as a one-frame-at-a-time decoder meets it.
 */
import { getEventListeners } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { InOrder } from '../src/in-flight.js';
import * as nnc from '../src/index.js';
import { generatedText, makeRandomModel } from './helpers.js';

const later = <T>(ms: number, v: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(v), ms));
const failLater = (ms: number, message: string): Promise<never> =>
  new Promise((_resolve, reject) => setTimeout(() => reject(new Error(message)), ms));

describe('InOrder', () => {
  it('hands results out in input order though later jobs finish first', async () => {
    const q = new InOrder<number>(3);
    const out: number[] = [];
    [40, 5, 20].forEach((ms, i) => q.start(later(ms, i)));
    expect(q.full).toBe(true);
    out.push(await q.next());
    [1, 30].forEach((ms, i) => q.start(later(ms, 3 + i)));
    while (q.size > 0) out.push(await q.next());
    expect(out).toEqual([0, 1, 2, 3, 4]);
  });

  it('the first failing job in order decides the error; later jobs are cancelled and awaited', async () => {
    const q = new InOrder<number>(4);
    let stopped = 0;
    const cancellable = (ms: number, v: number) =>
      new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => resolve(v), ms);
        q.signal.addEventListener('abort', () => {
          clearTimeout(t);
          setTimeout(() => {
            stopped++;
            reject(new Error('aborted'));
          }, 5);
        });
      });
    q.start(failLater(10, 'first'));
    q.start(failLater(1, 'second')); // fails earlier in time, later in order
    q.start(cancellable(10_000, 3));
    q.start(cancellable(10_000, 4));
    await expect(q.next()).rejects.toThrow('first');
    expect(q.signal.aborted).toBe(true);
    expect(stopped).toBe(2); // awaited, not merely forgotten
    expect(q.size).toBe(0);
  });

  it('fail(): an earlier job\'s own failure comes before the reading-ahead error', async () => {
    const q = new InOrder<number>(2);
    q.start(failLater(5, 'job'));
    await expect(q.fail(new Error('header'))).rejects.toThrow('job');
    const q2 = new InOrder<number>(2);
    q2.start(later(5, 1));
    await expect(q2.fail(new Error('header'))).rejects.toThrow('header');
  });

  it('the caller\'s signal cancels every job', () => {
    const ac = new AbortController();
    const q = new InOrder<number>(2, ac.signal);
    ac.abort(new Error('stop'));
    expect(q.signal.aborted).toBe(true);
  });

  it('leaves no listener on the caller\'s signal, however it ends', async () => {
    const ac = new AbortController();
    const listeners = () => getEventListeners(ac.signal, 'abort').length;
    const ok = new InOrder<number>(2, ac.signal);
    ok.start(later(1, 1));
    await ok.next();
    ok.close();
    const failed = new InOrder<number>(2, ac.signal);
    failed.start(failLater(1, 'job'));
    await expect(failed.next()).rejects.toThrow('job');
    const readAhead = new InOrder<number>(2, ac.signal); // earlier jobs fine, then damage found reading ahead
    readAhead.start(later(1, 1));
    await expect(readAhead.fail(new Error('header'))).rejects.toThrow('header');
    expect(listeners()).toBe(0);
  });
});

describe('frames in flight through the APIs (ts engine: one frame per worker)', () => {
  const tm = makeRandomModel(43, { k: 3, E: 4, hidden: [12, 8], alphabetBytes: 40 });
  const opts = { model: tm.model, engine: 'ts' as const, threads: 4, frameSize: 300, laneSize: 100 };
  const text = Buffer.from(generatedText(3000, 8));
  const archive = nnc.compressSync(text, opts);

  it('async and stream results equal the sync ones, in order', async () => {
    expect((await nnc.compress(text, opts)).equals(archive)).toBe(true);
    expect((await nnc.decompress(archive, opts)).equals(text)).toBe(true);
    const out: Buffer[] = [];
    await pipeline(Readable.from([archive]), nnc.createDecompressStream(opts), new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }));
    expect(Buffer.concat(out).equals(text)).toBe(true);
  });

  it('a damaged second frame and a damaged later header: every API reports the second frame\'s error', async () => {
    const bad = Buffer.from(archive);
    const first = 36 + bad.readUInt32LE(24);
    const second = 36 + bad.readUInt32LE(first + 24);
    bad[first + second - 1] ^= 1; // the second frame's stored checksum
    bad[first + second + 4] = 9; // the third frame's version
    const codeOf = async (f: () => unknown) => {
      try {
        await f();
        return 'OK';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    expect([
      await codeOf(() => nnc.decompressSync(bad, opts)),
      await codeOf(() => nnc.decompress(bad, opts)),
      await codeOf(() => pipeline(Readable.from([bad]), nnc.createDecompressStream(opts), sink)),
    ]).toEqual(['ERR_NNC_CHECKSUM', 'ERR_NNC_CHECKSUM', 'ERR_NNC_CHECKSUM']);
  });
});
