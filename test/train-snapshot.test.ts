/**
 * Training without round trips: snapshot / restoreSnapshot / clone of the
 * native trainer (native/train/checkpoint.cc) against the checkpoint path
 * they replace in Session.fit and Session.fork (checkpoint() → restore() →
 * setData with the same bytes). Same seed, same data: the two paths must
 * give byte-identical trainer checkpoints (weights, Adam moments, step,
 * epoch, RNG, fake-quant settings) before and after further training.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/native/addon.js';
import { Session, type TrainSettings } from '../src/train/session.js';
import type { NativeTrainer, TrainerClass } from '../src/train/trainer.js';
import { generatedText } from './helpers.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const T = loadAddon().addon?.exports.Trainer as TrainerClass | undefined;
const text = generatedText(60_000, 5);
const valid = generatedText(10_000, 6);
const other = generatedText(30_000, 8);
const alphabet = Uint8Array.from(new Set(Buffer.from('abcdefghijklmnopqrstuvwxyz .')), (c) => c).sort();
const train = [text.subarray(0, 40_000), text.subarray(40_000)];
const fq = { actScale: [0.02, 0.03], weightScale: [[], [], [0.01]] };

function fresh(): NativeTrainer {
  const t = new T!({ k: 6, E: 6, hidden: [40, 24], alphabet, seed: 11, threads: 2, batch: 512, microBatch: 256, laneSize: 4096, lr: 0.004 });
  t.setData(train, [valid]);
  return t;
}

/** The path Session used before: serialise, construct, copy the data again. */
function viaCheckpoint(t: NativeTrainer): NativeTrainer {
  const c = T!.restore(t.checkpoint(), { threads: 2 });
  c.setData(train, [valid]);
  return c;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe.skipIf(!T)(`trainer snapshot / restore / clone${T ? '' : ' (skipped: the addon has no Trainer)'}`, () => {
  it('clone() = checkpoint → restore → setData, byte for byte, and stays so through training (lasso, fake quant)', async () => {
    const a = fresh();
    await a.trainEpoch({ maxSamples: 20_000 });
    a.setFakeQuant(fq);
    const b = a.clone({ threads: 2 });
    const c = viaCheckpoint(a);
    expect(b.checkpoint().equals(c.checkpoint())).toBe(true);
    expect(b.checkpoint().equals(a.checkpoint())).toBe(true);
    const before = a.checkpoint();
    for (const t of [b, c]) {
      await t.trainEpoch({ lasso: 1e-4, maxSamples: 20_000 });
      t.setFakeQuant(null);
      await t.trainEpoch({ maxSamples: 10_000 });
    }
    expect(b.checkpoint().equals(c.checkpoint())).toBe(true);
    expect(await b.evaluate('valid')).toBe(await c.evaluate('valid'));
    // Training the clone left the original alone.
    expect(a.checkpoint().equals(before)).toBe(true);
  });

  it('restoreSnapshot() = a trainer restored from the checkpoint taken at the same moment', async () => {
    const a = fresh();
    await a.trainEpoch({ maxSamples: 20_000 });
    const snap = a.snapshot();
    const ck = a.checkpoint();
    const old = viaCheckpoint(a);
    await a.trainEpoch({ maxSamples: 20_000 });
    expect(a.checkpoint().equals(ck)).toBe(false);
    a.restoreSnapshot(snap);
    expect(a.checkpoint().equals(ck)).toBe(true);
    expect(a.info().epoch).toBe(1);
    // The same snapshot restores again (it is not consumed), and training
    // from it follows the checkpoint path exactly.
    await a.trainEpoch({ maxSamples: 20_000 });
    a.restoreSnapshot(snap);
    await a.trainEpoch({ lasso: 1e-4, maxSamples: 20_000 });
    await old.trainEpoch({ lasso: 1e-4, maxSamples: 20_000 });
    expect(a.checkpoint().equals(old.checkpoint())).toBe(true);
  });

  it('a snapshot taken before pruning restores the architecture too', async () => {
    const a = fresh();
    await a.trainEpoch({ lasso: 3e-3, maxSamples: 20_000 });
    const snap = a.snapshot();
    const ck = a.checkpoint();
    const pr = a.prune(0.5);
    expect(a.info().hidden).not.toEqual([40, 24]);
    expect(pr.hidden).toEqual(a.info().hidden);
    a.restoreSnapshot(snap);
    expect(a.info().hidden).toEqual([40, 24]);
    expect(a.checkpoint().equals(ck)).toBe(true);
  });

  it('clones share the data they were made with; setData on one leaves the others theirs', async () => {
    const a = fresh();
    const b = a.clone();
    const bits = await b.evaluate('valid');
    a.setData([other], [other]);
    expect((a.info() as unknown as { trainBytes: number }).trainBytes).toBe(other.length);
    expect((b.info() as unknown as { trainBytes: number }).trainBytes).toBe(80_000 - 20_000);
    expect(await b.evaluate('valid')).toBe(bits);
    // A clone made now gets the new data.
    expect((a.clone().info() as unknown as { trainBytes: number }).trainBytes).toBe(other.length);
  });

  it('refuses what is not a snapshot, a snapshot where a trainer is adopted, and calls while busy', async () => {
    const a = fresh();
    const snap = a.snapshot();
    expect(code(() => a.restoreSnapshot({} as never))).toBe('ERR_NNC_INVALID_ARG');
    expect(code(() => a.restoreSnapshot(a.checkpoint() as never))).toBe('ERR_NNC_INVALID_ARG');
    expect(code(() => new T!(snap as never))).toBe('ERR_NNC_INVALID_ARG');
    expect(code(() => a.clone({ thread: 2 } as never))).toBe('ERR_NNC_INVALID_ARG');
    const p = a.trainEpoch({ maxSamples: 5_000 });
    expect(code(() => a.snapshot())).toBe('ERR_NNC_BUSY');
    expect(code(() => a.restoreSnapshot(snap))).toBe('ERR_NNC_BUSY');
    expect(code(() => a.clone())).toBe('ERR_NNC_BUSY');
    await p;
  });

  it('Session.fork() trains exactly like a trainer restored from the session\'s checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnc-snap-'));
    const file = join(dir, 'data.txt');
    writeFileSync(file, generatedText(80_000, 12));
    const settings: TrainSettings = { k: 6, E: 6, hidden: [32, 16], lr: 0.004, batch: 512, seed: 5, threads: 2, laneSize: 65536, validation: 0.2, samples: 20_000 };
    const s = Session.create([file], settings);
    await s.fit('train', 1);
    const f = s.fork();
    const old = T!.restore(s.trainer.checkpoint(), { threads: settings.threads });
    old.setData(s.data.train, s.data.valid);
    expect(f.trainer.checkpoint().equals(old.checkpoint())).toBe(true);
    await f.runEpoch('retrain', 0);
    await old.trainEpoch({ lasso: 0, maxSamples: settings.samples });
    expect(f.trainer.checkpoint().equals(old.checkpoint())).toBe(true);
    expect(f.history).toHaveLength(s.history.length + 1);
    s.close();
    f.close();
  });
});
