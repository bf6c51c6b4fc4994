/**
 * The pruning family's report: report.json (everything), report.md (a table)
 * and report.svg (report-svg.ts: parameters vs compressed size, like the
 * paper's Figure 4), the paper's log relation fitted on the family
 * (bits per byte ≈ a + b · ln(parameters)), gzip/xz on the same data, and
 * one recommended model with the rule that chose it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FamilyMember } from './pipeline.js';
import type { References } from './references.js';
import { familySvg, type LogFit } from './report-svg.js';
import type { EpochRecord, TrainSettings } from './session.js';

export type { LogFit } from './report-svg.js';

/**
 * The speed a recommended model must reach, both ways: about half of what
 * gzip -9 / xz -9 manage on two cores, and what the bundled model was held to.
 */
export const RECOMMEND_MIN_MBPS = 2;

export interface Recommendation {
  model?: FamilyMember;
  rule: string;
}

/**
 * The best ratio within a speed: the lowest validation bits/byte among the
 * models that compress and decompress at ≥ `minMBps` (as measured after
 * each snapshot: cpu engine, this machine); if none is that fast, the fastest.
 */
export function recommend(family: FamilyMember[], minMBps = RECOMMEND_MIN_MBPS): Recommendation {
  const rule = `lowest validation bits/byte among the models that compress and decompress at ≥ ${minMBps} MB/s (measured here, cpu engine)`;
  const speed = (m: FamilyMember) => Math.min(m.compressMBps, m.decompressMBps);
  const fast = family.filter((m) => speed(m) >= minMBps);
  if (fast.length > 0) return { model: fast.reduce((a, b) => (b.validBits < a.validBits ? b : a)), rule };
  if (family.length === 0) return { rule };
  return { model: family.reduce((a, b) => (speed(b) > speed(a) ? b : a)), rule: `the fastest model: none reaches ${minMBps} MB/s both ways (measured here, cpu engine)` };
}

export function fitLog(family: FamilyMember[]): LogFit | null {
  if (family.length < 2) return null;
  const xs = family.map((m) => Math.log(m.params));
  const ys = family.map((m) => m.validBits);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b) / n;
  const my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

export function writeReport(
  dir: string,
  r: {
    settings: TrainSettings; files: { file: string; bytes: number }[]; family: FamilyMember[]; history: EpochRecord[]; seconds: number;
    /** gzip/xz on the validation data (absent: the plot and table say so). */
    references?: References;
  },
): void {
  const fit = fitLog(r.family);
  const rec = recommend(r.family);
  const refs = r.references ?? { found: [], missing: ['gzip/xz: not measured for this report'] };
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...r, references: refs, fit, recommended: { file: rec.model?.file ?? null, rule: rec.rule } }, null, 2) + '\n');
  const lines = [
    '# nnc prune report',
    '',
    `Training files: ${r.files.map((f) => `${f.file} (${f.bytes} B)`).join(', ')}; validation: the last ${r.settings.validation * 100}% of each.`,
    `Unpruned network: k=${r.settings.k}, E=${r.settings.E}, hidden ${r.settings.hidden.join('-')}; Adam lr ${r.settings.lr}, batch ${r.settings.batch}, seed ${r.settings.seed}, ${r.settings.threads} threads; ${Math.round(r.seconds)} s in all.`,
    '',
    '| model | hidden | E | parameters | lasso epoch | float bits/B | integer bits/B (archive) | compress MB/s | decompress MB/s |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.family.map((m) =>
      `| ${m.file} | ${m.hidden.join('-')} | ${m.E} | ${m.params} | ${m.lassoEpoch} | ${m.floatBits.toFixed(4)} | ${m.validBits.toFixed(4)} | ${m.compressMBps.toFixed(2)} | ${m.decompressMBps.toFixed(2)} |`),
    '',
    fit ? `Log relation fitted on the family: bits/byte ≈ ${fit.a.toFixed(4)} ${fit.b < 0 ? '−' : '+'} ${Math.abs(fit.b).toFixed(4)} · ln(parameters) (R² = ${fit.r2.toFixed(3)}).` : '',
    '',
    `On the same validation data: ${[...refs.found.map((x) => `${x.name} ${x.bitsPerByte.toFixed(4)} bits/byte`), ...refs.missing].join('; ') || 'no reference figures'}.`,
    '',
    rec.model
      ? `**Recommended: ${rec.model.file}** (${rec.model.hidden.join('-')}, ${rec.model.params} parameters, ${rec.model.validBits.toFixed(4)} bits/byte, ${rec.model.compressMBps.toFixed(2)}/${rec.model.decompressMBps.toFixed(2)} MB/s) — rule: ${rec.rule}.`
      : 'No model to recommend: the run stopped before the first snapshot.',
    '',
    '![parameters vs compressed size](report.svg)',
    '',
  ];
  writeFileSync(join(dir, 'report.md'), lines.join('\n'));
  const names = r.files.map((f) => f.file.split(/[\\/]/).pop()).join(', ');
  writeFileSync(join(dir, 'report.svg'), familySvg({
    family: r.family, fit, references: refs.found, recommended: rec.model, minMBps: RECOMMEND_MIN_MBPS,
    subtitle: `validation: the last ${r.settings.validation * 100}% of ${names} · speeds: cpu engine, ${r.settings.threads} threads, this machine`,
  }));
}
