/**
 * Draw bytes from a model's own distribution: data that the model compresses
 * well by construction, so tests exercise the neural path (not the stored
 * fallback) with random models.
 */
import { Predictor } from '../../src/engine/ts/predictor.js';
import type { ModelTensors } from '../../src/model/types.js';
import { rng } from './random.js';

export function sampleFromModel(t: ModelTensors, n: number, seed: number, laneSize = n): Uint8Array {
  const p = new Predictor(t);
  const r = rng(seed);
  const out = new Uint8Array(n);
  const f = new Uint32Array(p.A);
  const cm = p.newContext();
  for (let i = 0; i < n; i++) {
    if (i % laneSize === 0) cm.reset();
    p.frequencies(cm.inputs(), f);
    let u = Math.floor(r() * 65536);
    let s = 0;
    while (u >= f[s]) u -= f[s++];
    // An escape draws a byte outside the alphabet when there is one.
    out[i] = s < p.ESC ? t.alphabet[s] : escapeByte(t.alphabet, r);
    cm.push(out[i]);
  }
  return out;
}

function escapeByte(alphabet: Uint8Array, r: () => number): number {
  if (alphabet.length === 256) return alphabet[Math.floor(r() * 256)];
  const inA = new Set(alphabet);
  for (;;) {
    const b = Math.floor(r() * 256);
    if (!inA.has(b)) return b;
  }
}
