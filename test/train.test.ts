/**
 * The training pipeline from TypeScript: export → compress → decompress on
 * every engine, checkpoint → resume continues identically, the pruning
 * pipeline yields a shrinking family and its report, and the CLI commands.
 * The numerical core (gradients, lasso, pruning invariance) is tested in C++
 * (native/tests/train_test.cc) and through the binding (train-native.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressSync, decompressSync, loadModel } from '../src/index.js';
import { loadAddon } from '../src/native/addon.js';
import { stillImproving, stoppedEarly } from '../src/train/convergence.js';
import { runPipeline, type FamilyMember } from '../src/train/pipeline.js';
import { referenceBits } from '../src/train/references.js';
import { recommend, writeReport } from '../src/train/report.js';
import { Session, type TrainSettings } from '../src/train/session.js';
import { generatedText } from './helpers.js';

const hasTrainer = !!loadAddon().addon?.exports.Trainer;
const dir = mkdtempSync(join(tmpdir(), 'nnc-train-'));
const file = join(dir, 'data.txt');
writeFileSync(file, generatedText(200_000, 9));
const settings: TrainSettings = { k: 8, E: 8, hidden: [32, 24], lr: 0.004, batch: 1024, seed: 3, threads: 2, laneSize: 65536, validation: 0.2, samples: 0 };
const bin = join(__dirname, '..', 'bin', 'nnc.js');
const nnc = (...args: string[]) => spawnSync('node', [bin, ...args], { encoding: 'utf8' });
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

describe('nnc train / prune outputs are never replaced without -f', () => {
  it.skipIf(!hasTrainer)('train -o an existing model or checkpoint refuses, bytes unchanged; -f replaces; the epoch limit prints the --resume command, which works', () => {
    const model = join(dir, 'kept.nncm');
    const first = nnc('train', file, '-o', model, '--size', 'tiny', '--epochs', '1', '-T', '2');
    expect(first.status).toBe(0);
    // One epoch from scratch always improves: the exact command to continue.
    const hint = `nnc train --resume ${model}.ckpt --epochs 2 -o ${model} -f`;
    expect(first.stderr).toContain(hint);
    const bytes = readFileSync(model);
    const ckpt = readFileSync(`${model}.ckpt`);

    const again = nnc('train', file, '-o', model, '--size', 'tiny', '--epochs', '1', '-T', '2');
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`nnc: ${model}: already exists; use -f to overwrite (archives made with the old model need it to decode)\n`);
    expect(readFileSync(model).equals(bytes)).toBe(true);
    expect(readFileSync(`${model}.ckpt`).equals(ckpt)).toBe(true);
    // Resuming into the same model without -f is a replacement too.
    expect(nnc('train', '--resume', `${model}.ckpt`, '--epochs', '2', '-o', model).status).toBe(1);
    expect(readFileSync(model).equals(bytes)).toBe(true);

    // Another model whose checkpoint name is taken: refused, nothing written.
    const other = join(dir, 'other.nncm');
    writeFileSync(`${other}.ckpt`, 'not mine');
    const r = nnc('train', file, '-o', other, '--size', 'tiny', '--epochs', '1', '-T', '2');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/other\.nncm\.ckpt: already exists; use -f/);
    expect(existsSync(other)).toBe(false);
    expect(readFileSync(`${other}.ckpt`, 'utf8')).toBe('not mine');

    // The printed command, run as printed: one more epoch, the model replaced, no temp file left.
    const cont = nnc(...hint.split(' ').slice(1));
    expect(cont.status).toBe(0);
    expect(cont.stderr).toMatch(/train epoch 2:/);
    expect(readFileSync(model).equals(bytes)).toBe(false);
    expect(Session.resume(`${model}.ckpt`).history.filter((h) => h.phase === 'train')).toHaveLength(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it.skipIf(!hasTrainer)('prune -o an existing non-empty directory refuses and leaves it as it was', () => {
    const fam = join(dir, 'old-family');
    mkdirSync(fam, { recursive: true });
    writeFileSync(join(fam, 'model-9-9-e4.nncm'), 'old model');
    writeFileSync(join(fam, 'report.md'), 'old report');
    const r = nnc('prune', file, '-o', fam, '--size', 'tiny', '--epochs', '1', '-T', '2');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`nnc: ${fam}: already exists and is not empty; use -f to replace the family in it (archives made with its models need them to decode)\n`);
    expect(readdirSync(fam).sort()).toEqual(['model-9-9-e4.nncm', 'report.md']);
    expect(readFileSync(join(fam, 'report.md'), 'utf8')).toBe('old report');
  }, 30_000);

  it.skipIf(!hasTrainer)('prune starts from nnc train\'s checkpoint (no retraining), lasso at the default α0 = 2e-5, recommends a model', () => {
    const model = join(dir, 'base.nncm');
    expect(nnc('train', file, '-o', model, '--size', 'tiny', '--epochs', '2', '-T', '2', '-q').status).toBe(0);
    const fam = join(dir, 'family-from-train');
    const r = nnc('prune', '--resume', `${model}.ckpt`, '-o', fam, '--epochs', '2', '--lasso-epochs', '1', '--retrain', '1', '-T', '2');
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/^train epoch/m); // the 2 epochs were done by nnc train
    expect(r.stderr).toMatch(/^lasso epoch 3: .*lasso α=2\.00e-5/m);
    const report = JSON.parse(readFileSync(join(fam, 'report.json'), 'utf8'));
    expect(report.family[0].hidden).toEqual([32, 32]);
    expect(loadModel(join(fam, report.family[0].file)).metadata.method).toMatch(/α_t = 0\.00002·t²/);
    expect(report.recommended.file).toBe(report.family[0].file);
    expect(report.recommended.rule).toMatch(/MB\/s/);
    expect(r.stderr).toContain(`recommended: ${join(fam, report.recommended.file)}`);
    expect(readFileSync(join(fam, 'report.md'), 'utf8')).toContain(`**Recommended: ${report.recommended.file}**`);
    expect(report.references.found.map((x: { name: string }) => x.name)).toContain('gzip -9');
  }, 60_000);
});

describe('training ergonomics (no trainer needed)', () => {
  const rec = (validBits: number) => ({ phase: 'train' as const, validBits, epoch: 0, lasso: 0, trainBits: 0, samples: 0, seconds: 0, hidden: [], E: 0, params: 0 });
  it('still improving at the limit vs stopped early', () => {
    expect(stillImproving([rec(3), rec(2.5), rec(2.4)])).toBe(true);
    expect(stillImproving([rec(3), rec(2.5), rec(2.6)])).toBe(false);
    expect(stillImproving([rec(3)])).toBe(true);
    expect(stoppedEarly([rec(3), rec(2.5), rec(2.6), rec(2.5)])).toBe(true);
    expect(stoppedEarly([rec(3), rec(2.5), rec(2.6), rec(2.4)])).toBe(false);
    expect(stoppedEarly([rec(3), rec(2.5)])).toBe(false);
  });

  const member = (hidden: number[], params: number, validBits: number, mbps: number): FamilyMember => ({
    file: `model-${hidden.join('-')}-e16.nncm`, hidden, E: 16, params, lassoEpoch: 0, floatBits: validBits, validBits, idealBits: validBits,
    compressMBps: mbps, decompressMBps: mbps * 0.9, qat: false,
  });
  const family = [member([256, 256], 160265, 2.25, 1.9), member([206, 149], 101231, 2.27, 3.6), member([87, 46], 33038, 2.58, 7.4), member([7, 5], 1767, 3.46, 12)];

  it('recommends the best ratio among models at ≥ 2 MB/s both ways (else the fastest)', () => {
    expect(recommend(family).model?.hidden).toEqual([206, 149]);
    expect(recommend(family).rule).toMatch(/≥ 2 MB\/s/);
    expect(recommend(family, 20).model?.hidden).toEqual([7, 5]);
    expect(recommend(family, 20).rule).toMatch(/fastest/);
    expect(recommend([]).model).toBeUndefined();
  });

  it('report.svg: title, labelled axes with several ticks, legend with the fit and gzip/xz lines, nothing outside the picture', () => {
    const out = mkdtempSync(join(tmpdir(), 'nnc-report-'));
    const references = referenceBits([generatedText(50_000, 4)]);
    expect(references.found[0].name).toBe('gzip -9');
    writeReport(out, { settings, files: [{ file: '/data/dickens.txt', bytes: 1 }], family, history: [], seconds: 1, references });
    const svg = readFileSync(join(out, 'report.svg'), 'utf8');
    expect(svg).toMatch(/font-weight="bold">nnc prune: compressed size against model size</);
    expect(svg).toContain('>parameters (log scale)<');
    expect(svg).toContain('>validation bits per byte (lower is better)<');
    const texts = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)"([^>]*)>([^<]*)</g)];
    const xTicks = texts.filter((t) => /^\d+(\.\d+)?[kM]?$/.test(t[4]) && t[3].includes('middle'));
    expect(xTicks.map((t) => t[4])).toEqual(expect.arrayContaining(['2k', '10k', '100k']));
    const yTicks = texts.filter((t) => /^\d\.\d+$/.test(t[4]) && t[3].includes('end'));
    expect(yTicks.length).toBeGreaterThanOrEqual(4);
    const yVals = yTicks.map((t) => Number(t[4]));
    expect(Math.min(...yVals)).toBeLessThanOrEqual(2.25);
    expect(Math.max(...yVals)).toBeGreaterThanOrEqual(3.46);
    expect(svg).toMatch(/>fit: a \+ b·ln\(parameters\)</);
    expect(svg).toMatch(/>\d\.\d{3} − \d\.\d{4}·ln N</);
    expect(svg).toMatch(/>R² = \d\.\d{3}</);
    // No label is cut short to fit.
    expect(svg).not.toContain('…');
    expect(svg).toMatch(/>gzip -9: \d\.\d{3} bits\/B</);
    if (references.found.some((x) => x.name === 'xz -9')) expect(svg).toMatch(/>xz -9: \d\.\d{3} bits\/B</);
    expect(svg).toMatch(/>recommended: 206-149</);
    // Nothing clipped: every label (≈ 6.6 px a character at 12 px, 6.1 at 11 px) lies inside the 840 × 480 picture.
    for (const [, xs, ys, attrs, text] of texts) {
      if (attrs.includes('transform')) continue; // the rotated y-axis title: centred on the plot's height
      const x = Number(xs), y = Number(ys), w = text.length * (attrs.includes('font-size="11"') ? 6.1 : 6.6);
      const left = attrs.includes('"end"') ? x - w : attrs.includes('"middle"') ? x - w / 2 : x;
      expect(left, text).toBeGreaterThanOrEqual(0);
      expect(left + w, text).toBeLessThanOrEqual(840);
      expect(y, text).toBeGreaterThan(10);
      expect(y, text).toBeLessThanOrEqual(480);
    }
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('**Recommended: model-206-149-e16.nncm**');
    expect(md).toMatch(/On the same validation data: gzip -9 \d\.\d{4} bits\/byte/);
  });
});
