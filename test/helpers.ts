/** Shared test data: seeded, generated here (tests never read ../shared). */
import { rng, randomModel, type RandomModelOptions } from './support/random.js';
import { serializeModel } from '../src/format/model-file.js';
import { sampleFromModel } from './support/sample.js';
import { Model } from '../src/model/model.js';
import type { ModelTensors } from '../src/model/types.js';

export { rng };

const WORDS = (
  'the of and to in a is that for it as was with be by on not he I this are or his from at which but have an they you were ' +
  'her she there been one all we their has would when if so no will more can who what said about out up them into some time ' +
  'compression neural network model lossless entropy coder frame lane archive predictor byte context weight layer'
).split(' ');

/** Pseudo-English text: seeded word salad with punctuation and newlines. */
export function generatedText(n: number, seed = 1): Uint8Array {
  const r = rng(seed);
  let s = '';
  while (s.length < n) {
    let sentence = '';
    const len = 3 + Math.floor(r() * 12);
    for (let i = 0; i < len; i++) sentence += (i ? ' ' : '') + WORDS[Math.floor(Math.pow(r(), 2) * WORDS.length)];
    s += sentence[0].toUpperCase() + sentence.slice(1) + (r() < 0.2 ? '.\n' : '. ');
  }
  return Buffer.from(s.slice(0, n), 'latin1');
}

/**
 * `copies` copies of a generated text block of `blockLen` bytes with `flips`
 * seeded random bytes overwritten: long repeats for a match model, with misses.
 */
export function repeatedText(blockLen: number, copies: number, flips: number, seed = 5): Uint8Array {
  const block = generatedText(blockLen, 4);
  const out = new Uint8Array(blockLen * copies);
  for (let i = 0; i < copies; i++) out.set(block, i * blockLen);
  const r = rng(seed);
  for (let i = 0; i < flips; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

/** The error code a synchronous call throws ('ERR_NNC_...'), 'OK' when it returns, else the error's text. */
export function codeOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

export interface TestModel {
  tensors: ModelTensors;
  bytes: Uint8Array;
  model: Model;
}

export function makeRandomModel(seed: number, o: RandomModelOptions = {}): TestModel {
  const tensors = randomModel(seed, o);
  const bytes = serializeModel(tensors, { name: `random-${seed}` });
  return { tensors, bytes, model: new Model(bytes) };
}

/** Data the model predicts well (so frames take the neural path). */
export const modelData = (m: TestModel, n: number, seed: number, laneSize = n): Uint8Array =>
  sampleFromModel(m.tensors, n, seed, laneSize);
