/**
 * `model: 'auto'`: the writer's choice of a model per frame (docs/FORMAT.md
 * 4.3). Each candidate codes the same sample of the frame with the network
 * alone (method 1) and the smallest result wins; ties go to the smallest
 * model ID. Method-1 frames are byte-identical on every engine, so the
 * choice, and with it the archive, is a function of the input, the settings
 * and the candidates only.
 *
 * The sample is a sixteenth of the frame from 4 KiB to 1 MiB, and at most
 * 64 KiB beyond: coding it with five candidates at method 1 costs a few
 * percent of coding the frame at the default level (FORMAT.md 4.3 gives the
 * figures). A fixed 64 KiB sample made small frames up to 50% slower.
 */
import type { Engine, FrameOptions } from '../engine/types.js';
import type { Model } from './model.js';

/** Slices per sample, evenly spaced from the frame's start to its end. */
export const SAMPLE_SLICES = 4;
/** The smallest and largest slice (bytes). */
export const MIN_SLICE = 1024;
export const MAX_SLICE = 16384;

/** Bytes per slice for a frame of n bytes: n / 64, within [MIN_SLICE, MAX_SLICE]; each slice is coded as its own lane. */
export const sliceSize = (n: number): number => Math.min(MAX_SLICE, Math.max(MIN_SLICE, Math.floor(n / 64)));

/**
 * The sample of a frame of N bytes, with L = sliceSize(N): the whole
 * content when N ≤ SLICES × L, else SLICES slices of L bytes, slice i
 * starting at floor(i · (N − L) / (SLICES − 1)) (the first at 0, the last
 * ending at N).
 */
export function sampleOf(content: Uint8Array): Uint8Array {
  const n = content.length;
  const L = sliceSize(n);
  if (n <= SAMPLE_SLICES * L) return content;
  const out = new Uint8Array(SAMPLE_SLICES * L);
  for (let i = 0; i < SAMPLE_SLICES; i++) {
    const at = Math.floor((i * (n - L)) / (SAMPLE_SLICES - 1));
    out.set(content.subarray(at, at + L), i * L);
  }
  return out;
}

/** Method 1 in lanes of one slice (of the frame's n bytes): what each candidate codes the sample with. */
const sampleOptions = (n: number, threads: number, signal?: AbortSignal): FrameOptions => ({ laneSize: sliceSize(n), threads, signal });

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
  const costs = candidates.map((m) => engine.compressFrame(m.for(engine), sample, sampleOptions(content.length, threads)).length);
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
    candidates.map(async (m) => (await engine.compressFrameAsync(m.for(engine), sample, sampleOptions(content.length, threads, signal))).length),
  );
  return best(candidates, costs);
}
