/**
 * `model: 'auto'`: the writer's choice of a model per frame (docs/FORMAT.md
 * 4.3). Each candidate codes the same sample of the frame with the network
 * alone (method 1) and the smallest result wins; ties go to the smallest
 * model ID. Method-1 frames are byte-identical on every engine, so the
 * choice, and with it the archive, is a function of the input, the settings
 * and the candidates only.
 *
 * The sample is at most SLICES × SLICE bytes whatever the frame, so the cost
 * of choosing is bounded per frame: a few percent of coding a 4 MiB frame at
 * the default level (FORMAT.md 4.3 gives the figure).
 */
import type { Engine, FrameOptions } from '../engine/types.js';
import type { Model } from './model.js';

/** Bytes per slice of the sample, each coded as its own lane. */
export const SAMPLE_SLICE = 16384;
/** Slices per sample, evenly spaced from the frame's start to its end. */
export const SAMPLE_SLICES = 4;

/**
 * The sample of a frame: the whole content when it is at most SLICES ×
 * SLICE bytes, else SLICES slices of SLICE bytes, slice i starting at
 * floor(i · (N − SLICE) / (SLICES − 1)) (the first at 0, the last ending at N).
 */
export function sampleOf(content: Uint8Array): Uint8Array {
  const n = content.length;
  if (n <= SAMPLE_SLICES * SAMPLE_SLICE) return content;
  const out = new Uint8Array(SAMPLE_SLICES * SAMPLE_SLICE);
  for (let i = 0; i < SAMPLE_SLICES; i++) {
    const at = Math.floor((i * (n - SAMPLE_SLICE)) / (SAMPLE_SLICES - 1));
    out.set(content.subarray(at, at + SAMPLE_SLICE), i * SAMPLE_SLICE);
  }
  return out;
}

/** Method 1 in lanes of one slice: what each candidate codes the sample with. */
const sampleOptions = (threads: number, signal?: AbortSignal): FrameOptions => ({ laneSize: SAMPLE_SLICE, threads, signal });

/** The candidate with the smallest cost; ties to the smallest ID. */
function best(candidates: readonly Model[], costs: readonly number[]): Model {
  let k = 0;
  for (let i = 1; i < candidates.length; i++) {
    if (costs[i] < costs[k] || (costs[i] === costs[k] && candidates[i].id < candidates[k].id)) k = i;
  }
  return candidates[k];
}

function checkCandidates(candidates: readonly Model[]): void {
  if (candidates.length === 0) throw new Error('chooseModel: no candidates'); // callers refuse an empty set with a user's message first
}

/**
 * The model `content` is written with, chosen among `candidates` (one
 * candidate, or an empty frame, needs no sample: the single one, or the
 * smallest ID, as the rule gives).
 */
export function chooseModelSync(engine: Engine, candidates: readonly Model[], content: Uint8Array, threads: number): Model {
  checkCandidates(candidates);
  if (candidates.length === 1 || content.length === 0) return best(candidates, candidates.map(() => 0));
  const sample = sampleOf(content);
  const costs = candidates.map((m) => engine.compressFrame(m.for(engine), sample, sampleOptions(threads)).length);
  return best(candidates, costs);
}

/** chooseModelSync off the main thread: the candidates code the sample at once; `signal` cancels them. */
export async function chooseModel(
  engine: Engine,
  candidates: readonly Model[],
  content: Uint8Array,
  threads: number,
  signal?: AbortSignal,
): Promise<Model> {
  checkCandidates(candidates);
  if (candidates.length === 1 || content.length === 0) return best(candidates, candidates.map(() => 0));
  const sample = sampleOf(content);
  const costs = await Promise.all(
    candidates.map(async (m) => (await engine.compressFrameAsync(m.for(engine), sample, sampleOptions(threads, signal))).length),
  );
  return best(candidates, costs);
}
