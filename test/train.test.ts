/**
 * The training pipeline from TypeScript: export → compress → decompress on
 * every engine, checkpoint → resume continues identically, the pruning
 * pipeline yields a shrinking family and its report, and the CLI commands.
 * The numerical core (gradients, lasso, pruning invariance) is tested in C++
 * (native/tests/train_test.cc) and through the binding (train-native.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressSync, decompressSync } from '../src/index.js';
import { loadAddon } from '../src/engine/cpu.js';
import { runPipeline } from '../src/train/pipeline.js';
import { Session, type TrainSettings } from '../src/train/session.js';
import { generatedText } from './helpers.js';

const hasTrainer = !!(loadAddon().addon as unknown as { Trainer?: unknown } | undefined)?.Trainer;
const dir = mkdtempSync(join(tmpdir(), 'nnc-train-'));
const file = join(dir, 'data.txt');
writeFileSync(file, generatedText(200_000, 9));
const settings: TrainSettings = { k: 8, E: 8, hidden: [32, 24], lr: 0.004, batch: 1024, seed: 3, threads: 2, laneSize: 65536, validation: 0.2, samples: 0 };
const floats = (s: Session) => {
  const f = s.trainer.exportFloat();
  return Buffer.concat([f.emb, ...f.layers.flatMap((l) => [l.W, l.b]), f.out.W, f.out.b].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
};

describe.skipIf(!hasTrainer)(`training${hasTrainer ? '' : ' (skipped: the addon has no Trainer)'}`, () => {
  it('exports an integer model close to the float one that every engine codes identically', async () => {
    const s = Session.create([file], settings);
    await s.fit('train', 2);
    const ex = await s.export({ name: 'test' });
    expect(ex.intBits).toBeLessThan(ex.floatBits * 1.03);
    expect(ex.model.info.hidden).toEqual([32, 24]);
    const data = readFileSync(file).subarray(150_000, 170_000);
    const a = compressSync(data, { model: ex.model, engine: 'ts', laneSize: 5000 });
    const b = compressSync(data, { model: ex.model, engine: 'cpu', laneSize: 5000 });
    expect(a.equals(b)).toBe(true);
    expect(a.length).toBeLessThan(data.length * 0.45);
    expect(decompressSync(a, { model: ex.model, engine: 'cpu' }).equals(data)).toBe(true);
    expect(decompressSync(b, { model: ex.model, engine: 'ts' }).equals(data)).toBe(true);
  });

  it('checkpoint → resume continues exactly like an uninterrupted run', async () => {
    const a = Session.create([file], settings);
    await a.runEpoch('train', 0);
    await a.runEpoch('train', 0);
    const b = Session.create([file], settings);
    await b.runEpoch('train', 0);
    const ck = join(dir, 'b.ckpt');
    b.save(ck);
    const c = Session.resume(ck);
    expect(c.history).toHaveLength(1);
    await c.runEpoch('train', 0);
    expect(floats(c).equals(floats(a))).toBe(true);
    expect(c.history[1].validBits).toBe(a.history[1].validBits);
  });

  it('resume with a new learning rate = an uninterrupted run that changed its rate there', async () => {
    const a = Session.create([file], settings);
    await a.runEpoch('train', 0);
    a.trainer.setOptimizer({ lr: settings.lr / 4 });
    await a.runEpoch('train', 0);
    const b = Session.create([file], settings);
    await b.runEpoch('train', 0);
    const ck = join(dir, 'lr.ckpt');
    b.save(ck);
    const c = Session.resume(ck, { lr: settings.lr / 4 });
    expect(c.settings.lr).toBe(settings.lr / 4);
    await c.runEpoch('train', 0);
    expect(floats(c).equals(floats(a))).toBe(true);
    // …and differs from continuing at the old rate (the override took effect).
    const d = Session.resume(ck);
    await d.runEpoch('train', 0);
    expect(floats(d).equals(floats(c))).toBe(false);
  });

  it('the pruning pipeline yields a shrinking family and a report', async () => {
    const s = Session.create([file], { ...settings, hidden: [48, 48] });
    const out = join(dir, 'family');
    const fam = await runPipeline(s, {
      outDir: out, epochs: 2, lassoEpochs: 14, alpha0: 2e-4, threshold: 1e-3, retrainEpochs: 2, snapshotRatio: 1.3, minWidth: 4,
      baseMeta: { name: 't' },
    });
    expect(fam.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < fam.length; i++) expect(fam[i].params).toBeLessThan(fam[i - 1].params);
    for (const m of fam) expect(existsSync(join(out, m.file))).toBe(true);
    const { writeReport } = await import('../src/train/report.js');
    writeReport(out, { settings: s.settings, files: s.data.files, family: fam, history: s.history, seconds: 1 });
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).family).toHaveLength(fam.length);
    expect(readFileSync(join(out, 'report.svg'), 'utf8')).toContain('<circle');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| parameters |');
  });

  it('nnc train writes a model and a checkpoint; nnc eval measures it', () => {
    const bin = join(__dirname, '..', 'bin', 'nnc.js');
    const model = join(dir, 'cli.nncm');
    execFileSync('node', [bin, 'train', file, '-o', model, '--size', 'tiny', '--epochs', '1', '-T', '2', '-q']);
    expect(existsSync(model) && existsSync(`${model}.ckpt`)).toBe(true);
    const out = execFileSync('node', [bin, 'eval', '-m', model, file]).toString();
    expect(out).toMatch(/ideal bits\/B/);
    const row = out.trim().split('\n').pop()!.split('\t');
    expect(Number(row[2])).toBeGreaterThan(0);
    expect(Number(row[3])).toBeGreaterThanOrEqual(Number(row[2]));
    expect(() => execFileSync('node', [bin, 'train', file], { stdio: 'pipe' })).toThrow();
  });
});
