/**
 * `model: 'auto'`: the writer's choice of a model per frame (docs/FORMAT.md
 * 4.3). Each candidate codes the same sample of the frame at the frame's
 * own level (method 1 for level 1, else the frame's parameter block fitted
 * to a slice) and the smallest result wins; ties go to the smallest model
 * ID. The network alone ranks models badly for the mixed levels, where the
 * context models cover much of what it misses: on five small training
 * files its pick was 1.6–6.2% larger at level 6 than the best model, the
 * level-6 ranking's within 0.04% (FORMAT.md 4.3). Both methods are
 * integer arithmetic, byte-identical on every engine, so the choice, and
 * with it the archive, is a function of the input, the settings and the
 * candidates only.
 *
 * The sample is a sixteenth of the frame from 4 KiB, and at most 64 KiB
 * (32 KiB at levels 2..9, whose coding costs ~7× the network alone's per
 * byte): coding it with five candidates costs ~1.5% (level 1) and ~4%
 * (level 6) of coding a 4 MiB frame (FORMAT.md 4.3 gives the figures). A fixed
 * 64 KiB sample made small frames up to 50% slower.
 */
import type { Engine, FrameOptions } from '../engine/types.js';
import { type MixParams, fitToLane } from '../format/mix-params.js';
import type { Model } from './model.js';

/** Slices per sample, evenly spaced from the frame's start to its end. */
export const SAMPLE_SLICES = 4;
/** The smallest and largest slice (bytes). */
export const MIN_SLICE = 1024;
export const MAX_SLICE = 16384;
/** The largest slice when the sample is coded with a method-2 block (`mixed`): 16 KiB cost 9–11% of a level-6 frame. */
export const MAX_MIXED_SLICE = 8192;

/** Bytes per slice for a frame of n bytes: n / 64, within [MIN_SLICE, MAX_SLICE or MAX_MIXED_SLICE]; each slice is coded as its own lane. */
export const sliceSize = (n: number, mixed = false): number =>
  Math.min(mixed ? MAX_MIXED_SLICE : MAX_SLICE, Math.max(MIN_SLICE, Math.floor(n / 64)));

/**
 * The sample of a frame of N bytes, with L = sliceSize(N): the whole
 * content when N ≤ SLICES × L, else SLICES slices of L bytes, slice i
 * starting at floor(i · (N − L) / (SLICES − 1)) (the first at 0, the last
 * ending at N).
 */
export function sampleOf(content: Uint8Array, mixed = false): Uint8Array {
  const n = content.length;
  const L = sliceSize(n, mixed);
  if (n <= SAMPLE_SLICES * L) return content;
  const out = new Uint8Array(SAMPLE_SLICES * L);
  for (let i = 0; i < SAMPLE_SLICES; i++) {
    const at = Math.floor((i * (n - L)) / (SAMPLE_SLICES - 1));
    out.set(content.subarray(at, at + L), i * L);
  }
  return out;
}

/**
 * What each candidate codes the sample of a frame of n bytes with: lanes of
 * one slice, at the frame's method — `mix`, the level's block (unfitted),
 * fitted to the sample's largest lane as the frame's is to its own, or
 * method 1 when absent.
 */
function sampleOptions(n: number, mix: MixParams | undefined, threads: number, signal?: AbortSignal): FrameOptions {
  const L = sliceSize(n, mix !== undefined);
  return { laneSize: L, mix: mix && fitToLane(mix, Math.min(L, n)), threads, signal };
}

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
 * The model `content` is written with, chosen among `candidates` at the
 * frame's method (`mix`: its level's block, undefined for level 1). One
 * candidate, or an empty frame, needs no sample: the single one, or the
 * smallest ID, as the rule gives.
 */
export function chooseModelSync(engine: Engine, candidates: readonly Model[], content: Uint8Array, mix: MixParams | undefined, threads: number): Model {
  checkCandidates(candidates);
  if (candidates.length === 1 || content.length === 0) return best(candidates, candidates.map(() => 0));
  const sample = sampleOf(content, mix !== undefined);
  const opts = sampleOptions(content.length, mix, threads);
  const costs = candidates.map((m) => engine.compressFrame(m.for(engine), sample, opts).length);
  return best(candidates, costs);
}

/** chooseModelSync off the main thread, the candidates one after another; `signal` cancels them. */
export async function chooseModel(
  engine: Engine,
  candidates: readonly Model[],
  content: Uint8Array,
  mix: MixParams | undefined,
  threads: number,
  signal?: AbortSignal,
): Promise<Model> {
  checkCandidates(candidates);
  if (candidates.length === 1 || content.length === 0) return best(candidates, candidates.map(() => 0));
  const sample = sampleOf(content, mix !== undefined);
  const opts = sampleOptions(content.length, mix, threads, signal);
  // One candidate at a time: each sample job already keeps the threads busy (its slices are lanes),
  // and all at once put one abort listener per candidate on the caller's signal (Node warns past 10).
  const costs: number[] = [];
  for (const m of candidates) costs.push((await engine.compressFrameAsync(m.for(engine), sample, opts)).length);
  return best(candidates, costs);
}
