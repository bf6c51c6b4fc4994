/**
 * The pruning family's report: report.json (everything), report.md (a table)
 * and report.svg (parameters vs compressed size on log axes, like the
 * paper's Figure 4), plus the paper's log relation fitted on the family:
 * bits per byte ≈ a + b · ln(parameters).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FamilyMember } from './pipeline.js';
import type { EpochRecord, TrainSettings } from './session.js';

export interface LogFit {
  a: number;
  b: number;
  r2: number;
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
  r: { settings: TrainSettings; files: { file: string; bytes: number }[]; family: FamilyMember[]; history: EpochRecord[]; seconds: number },
): void {
  const fit = fitLog(r.family);
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...r, fit }, null, 2) + '\n');
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
    '![parameters vs compressed size](report.svg)',
    '',
  ];
  writeFileSync(join(dir, 'report.md'), lines.join('\n'));
  writeFileSync(join(dir, 'report.svg'), svg(r.family, fit));
}

/** Parameters (x, log) vs validation bits per byte (y, log). */
export function svg(family: FamilyMember[], fit: LogFit | null): string {
  const W = 640, H = 420, L = 70, R = 20, T = 30, B = 60;
  if (family.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="40">no models</text></svg>\n`;
  const px = family.map((m) => Math.log10(m.params));
  const py = family.map((m) => Math.log10(m.validBits));
  const pad = (lo: number, hi: number) => (hi - lo < 1e-6 ? [lo - 0.05, hi + 0.05] : [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)]);
  const [x0, x1] = pad(Math.min(...px), Math.max(...px));
  const [y0, y1] = pad(Math.min(...py), Math.max(...py));
  const X = (v: number) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v: number) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 15}" text-anchor="middle">parameters (log scale)</text>`,
    `<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(T + H - B) / 2})">validation bits per byte (log scale)</text>`,
  ];
  for (let d = Math.ceil(x0); d <= Math.floor(x1); d++) {
    out.push(`<line x1="${X(d)}" y1="${H - B}" x2="${X(d)}" y2="${H - B + 5}" stroke="black"/><text x="${X(d)}" y="${H - B + 18}" text-anchor="middle">1e${d}</text>`);
  }
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    out.push(`<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end">${(10 ** v).toFixed(3)}</text>`);
  }
  if (fit) {
    const pts = [x0, x1].map((lx) => `${X(lx)},${Y(Math.log10(Math.max(1e-6, fit.a + fit.b * lx * Math.LN10)))}`);
    out.push(`<polyline points="${pts.join(' ')}" stroke="#c33" stroke-dasharray="4 3" fill="none"/>`);
  }
  family.forEach((m, i) => {
    out.push(`<circle cx="${X(px[i])}" cy="${Y(py[i])}" r="4" fill="#36c"/>`);
    out.push(`<text x="${X(px[i]) + 6}" y="${Y(py[i]) - 6}">${m.hidden.join('-')} (${m.compressMBps.toFixed(1)} MB/s)</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
