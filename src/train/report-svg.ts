/**
 * report.svg: the family's parameters (x, log scale) against validation bits
 * per byte (y, linear), as in the paper's Figure 4, drawn to be read on its
 * own: a title, both axes labelled with ticks over the real range, the
 * fitted log relation and the gzip/xz figures as labelled lines, a legend
 * beside (not over) the plot, and point labels kept inside the picture.
 */
import type { FamilyMember } from './pipeline.js';
import type { Reference } from './references.js';

export interface LogFit {
  a: number;
  b: number;
  r2: number;
}

export interface PlotInput {
  family: FamilyMember[];
  fit: LogFit | null;
  references: Reference[];
  recommended?: FamilyMember;
  /** The speed the recommendation asks for (MB/s). */
  minMBps: number;
  /** One line under the title: the data and how speeds were measured. */
  subtitle: string;
}

const W = 840, H = 480;
/** The plot area; the legend has the column right of it. */
const L = 72, R = 590, T = 64, B = 424;
const CHAR = 6.6; // average width of a 12 px sans-serif character, for fitting labels

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fit1 = (s: string, px: number, char = CHAR) => (s.length * char <= px ? s : s.slice(0, Math.max(1, Math.floor(px / char) - 1)) + '…');
const num = (v: number) => Number(v.toPrecision(12));

/** Ticks for a linear axis: 4–7 round values (step 1, 2, 2.5 or 5 × 10^k) from lo to hi. */
export function linearTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number } {
  const span = Math.max(hi - lo, 1e-9);
  const p = 10 ** Math.floor(Math.log10(span / target));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => span / s <= target + 1.5) ?? 10 * p;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(num(v));
  return { ticks, step };
}

/** Ticks for a log axis over [10^lo, 10^hi]: powers of ten, else 1-2-5, else 1…9, else linear. */
export function logTicks(lo: number, hi: number): number[] {
  for (const mults of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const t: number[] = [];
    for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
      for (const m of mults) {
        const l = Math.log10(m * 10 ** d);
        if (l >= lo - 1e-9 && l <= hi + 1e-9) t.push(num(m * 10 ** d));
      }
    }
    if (t.length >= 3) return t;
  }
  return linearTicks(10 ** lo, 10 ** hi, 4).ticks;
}

/** 1500 → "1.5k", 2000000 → "2M". */
export function countLabel(v: number): string {
  if (v >= 1e6) return `${num(v / 1e6)}M`;
  if (v >= 1e3) return `${num(v / 1e3)}k`;
  return String(num(v));
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const LABEL_CHAR = 6.2; // average width of an 11 px character
const overlap = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

/**
 * A point's label box: the first of eight places around the point (right,
 * left, above, below and the corners) that stays inside the plot and
 * overlaps no marker or earlier label; if every place collides, the one
 * that overlaps least.
 */
function placeLabel(cx: number, cy: number, w: number, gap: number, taken: Box[]): Box {
  const h = 13;
  const places: Box[] = [
    { x: cx + gap, y: cy - h - 2, w, h }, // above right
    { x: cx + gap, y: cy + 2, w, h }, // below right
    { x: cx - gap - w, y: cy - h - 2, w, h }, // above left
    { x: cx - gap - w, y: cy + 2, w, h }, // below left
    { x: cx + gap, y: cy - h / 2, w, h }, // right
    { x: cx - gap - w, y: cy - h / 2, w, h }, // left
    { x: cx - w / 2, y: cy - gap - h, w, h }, // above
    { x: cx - w / 2, y: cy + gap, w, h }, // below
  ].filter((b) => b.x >= L + 2 && b.x + b.w <= R - 2 && b.y >= T + 2 && b.y + b.h <= B - 2);
  if (places.length === 0) return { x: Math.min(Math.max(cx - w / 2, L + 2), R - 2 - w), y: Math.max(cy - gap - h, T + 2), w, h };
  let best = places[0], bestCost = Infinity;
  for (const b of places) {
    const cost = taken.reduce((c, t) => c + overlap(b, t), 0);
    if (cost === 0) return b;
    if (cost < bestCost) [best, bestCost] = [b, cost];
  }
  return best;
}

export function familySvg(p: PlotInput): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">nnc prune: compressed size against model size</text>`,
    `<text x="${W / 2}" y="44" text-anchor="middle" font-size="11" fill="#444">${esc(fit1(p.subtitle, W - 40, 6.1))}</text>`,
  ];
  if (p.family.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no models: the run stopped before the first snapshot</text>`, '</svg>');
    return out.join('\n') + '\n';
  }

  // x: log10(parameters), padded so no point sits on the frame.
  const lx = p.family.map((m) => Math.log10(m.params));
  let x0 = Math.min(...lx), x1 = Math.max(...lx);
  const xpad = Math.max(0.08, 0.06 * (x1 - x0));
  x0 -= xpad;
  x1 += xpad;
  // y: bits per byte over the models and the reference lines, widened to whole ticks.
  const ys = [...p.family.map((m) => m.validBits), ...p.references.map((r) => r.bitsPerByte)];
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  const ypad = Math.max(0.02, 0.08 * (y1 - y0));
  const yt = linearTicks(y0 - ypad, y1 + ypad);
  y0 = Math.floor((y0 - ypad) / yt.step + 1e-9) * yt.step;
  y1 = Math.ceil((y1 + ypad) / yt.step - 1e-9) * yt.step;
  const yTicks = linearTicks(y0, y1).ticks.filter((v) => v >= y0 - 1e-9 && v <= y1 + 1e-9);
  const yDigits = Math.max(0, -Math.floor(Math.log10(yt.step) + 1e-9)) + (Math.abs((yt.step / 10 ** Math.floor(Math.log10(yt.step))) - 2.5) < 1e-6 ? 1 : 0);

  const X = (l: number) => L + ((l - x0) / (x1 - x0)) * (R - L);
  const Y = (v: number) => B - ((v - y0) / (y1 - y0)) * (B - T);
  const f = (v: number) => v.toFixed(1);

  out.push(`<defs><clipPath id="plot"><rect x="${L}" y="${T}" width="${R - L}" height="${B - T}"/></clipPath></defs>`);
  // Grid and ticks.
  for (const v of logTicks(x0, x1)) {
    const x = f(X(Math.log10(v)));
    out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${B}" stroke="#e4e4e4"/><line x1="${x}" y1="${B}" x2="${x}" y2="${B + 5}" stroke="black"/><text x="${x}" y="${B + 18}" text-anchor="middle">${countLabel(v)}</text>`);
  }
  for (const v of yTicks) {
    const y = f(Y(v));
    out.push(`<line x1="${L}" y1="${y}" x2="${R}" y2="${y}" stroke="#e4e4e4"/><line x1="${L - 5}" y1="${y}" x2="${L}" y2="${y}" stroke="black"/><text x="${L - 8}" y="${f(Y(v) + 4)}" text-anchor="end">${v.toFixed(yDigits)}</text>`);
  }
  out.push(
    `<rect x="${L}" y="${T}" width="${R - L}" height="${B - T}" fill="none" stroke="black"/>`,
    `<text x="${(L + R) / 2}" y="${H - 18}" text-anchor="middle">parameters (log scale)</text>`,
    `<text x="18" y="${(T + B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(T + B) / 2})">validation bits per byte (lower is better)</text>`,
  );

  // Reference lines, the fit, then the models on top.
  const refStyle = ['#2a9d3a', '#8a4fbf', '#777'];
  const lines: string[] = [];
  p.references.forEach((r, i) => {
    const y = f(Y(r.bitsPerByte));
    lines.push(`<line x1="${L}" y1="${y}" x2="${R}" y2="${y}" stroke="${refStyle[i % 3]}" stroke-width="1.5" stroke-dasharray="8 4"/>`);
  });
  if (p.fit) {
    const at = (l: number) => p.fit!.a + p.fit!.b * l * Math.LN10;
    lines.push(`<line x1="${f(X(x0))}" y1="${f(Y(at(x0)))}" x2="${f(X(x1))}" y2="${f(Y(at(x1)))}" stroke="#c33" stroke-width="1.5" stroke-dasharray="3 3"/>`);
  }
  out.push(`<g clip-path="url(#plot)">`, ...lines, `</g>`);
  const pts = p.family.map((m, i) => ({ m, cx: X(lx[i]), cy: Y(m.validBits) }));
  // Every marker is an obstacle for the labels (the ring is bigger).
  const taken: Box[] = pts.map(({ m, cx, cy }) => {
    const r = m === p.recommended ? 11 : 5;
    return { x: cx - r, y: cy - r, w: 2 * r, h: 2 * r };
  });
  for (const { m, cx, cy } of pts) {
    if (m === p.recommended) out.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="9" fill="none" stroke="#e08000" stroke-width="2.5"/>`);
    out.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="4" fill="#36c"/>`);
  }
  for (const { m, cx, cy } of pts) {
    const label = `${m.hidden.join('-')} · ${m.compressMBps.toFixed(1)} MB/s`;
    const box = placeLabel(cx, cy, label.length * LABEL_CHAR, m === p.recommended ? 11 : 6, taken);
    taken.push(box);
    out.push(`<text x="${f(box.x)}" y="${f(box.y + box.h - 3)}" font-size="11">${esc(label)}</text>`);
  }

  // Legend, in its own column.
  const lgX = R + 22, lgW = W - lgX - 8;
  let ly = T + 6;
  const entry = (symbol: string, ...text: string[]) => {
    out.push(symbol.replace(/@Y/g, f(ly)));
    text.forEach((t, k) => out.push(`<text x="${lgX + 30}" y="${f(ly + 4 + k * 15)}" font-size="11">${esc(fit1(t, lgW - 30, 6.1))}</text>`));
    ly += 15 * text.length + 10;
  };
  out.push(`<text x="${lgX}" y="${f(ly - 10)}" font-weight="bold" font-size="12" dy="4">legend</text>`);
  ly += 12;
  entry(`<circle cx="${lgX + 12}" cy="@Y" r="4" fill="#36c"/>`, 'a model of the family:', 'hidden widths · compress MB/s');
  if (p.recommended) {
    entry(`<circle cx="${lgX + 12}" cy="@Y" r="8" fill="none" stroke="#e08000" stroke-width="2.5"/>`,
      `recommended: ${p.recommended.hidden.join('-')}`, `best ratio at ≥ ${p.minMBps} MB/s`);
  }
  if (p.fit) {
    const b = p.fit.b;
    entry(`<line x1="${lgX}" y1="@Y" x2="${lgX + 24}" y2="@Y" stroke="#c33" stroke-width="1.5" stroke-dasharray="3 3"/>`,
      'fit: a + b·ln(parameters)', `${p.fit.a.toFixed(3).replace('-', '−')} ${b < 0 ? '−' : '+'} ${Math.abs(b).toFixed(4)}·ln N`, `R² = ${p.fit.r2.toFixed(3)}`);
  }
  p.references.forEach((r, i) => {
    entry(`<line x1="${lgX}" y1="@Y" x2="${lgX + 24}" y2="@Y" stroke="${refStyle[i % 3]}" stroke-width="1.5" stroke-dasharray="8 4"/>`,
      `${r.name}: ${r.bitsPerByte.toFixed(3)} bits/B`, 'same validation data');
  });
  if (p.references.length === 0) entry('', '(no gzip/xz figures', 'in this report)');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
