/**
 * The native float trainer (native/train, bound in
 * native/addon/train_binding.cc): its type, and the class from the addon.
 */
import { ErrorCodes, NncError } from '../errors.js';
import { loadAddon } from '../native/addon.js';
import type { FloatModel } from './export.js';

/**
 * A trainer's state in native memory (weights, Adam moments, step, epoch,
 * RNG, fake-quant settings; not the data): what checkpoint() serialises,
 * without the round trip through bytes. Freed when collected.
 */
export type TrainerSnapshot = { readonly __brand: 'TrainerSnapshot' };

export interface NativeTrainer {
  /** Copies the bytes once; clones share them. */
  setData(train: Uint8Array[], valid: Uint8Array[]): void;
  trainEpoch(
    o: { lasso?: number; lassoEmbed?: number; maxSamples?: number },
    onProgress?: (done: number, total: number, bits: number) => void,
  ): Promise<{ bits: number; samples: number; seconds: number; cancelled: boolean; epoch: number; step: number }>;
  evaluate(which: 'train' | 'valid', maxSamples?: number): Promise<number>;
  activationStats(maxSamples: number, which?: 'train' | 'valid'): Promise<{ layers: { max: number; p9999: number; p99999: number }[] }>;
  groupRms(): { layers: { in: Float32Array; out: Float32Array }[]; embed: Float32Array };
  prune(threshold?: number): { removed: number[]; embedRemoved: number; hidden: number[]; E: number };
  checkpoint(): Buffer;
  snapshot(): TrainerSnapshot;
  /** Back to a snapshot's state (architecture included); keeps this trainer's data and threads. */
  restoreSnapshot(s: TrainerSnapshot): void;
  /** An independent trainer in this state that shares this one's data (no copy). */
  clone(o?: { threads?: number }): NativeTrainer;
  setFakeQuant(p: { embedScale?: number; actScale: number[]; weightScale?: number[][] } | null): void;
  setOptimizer(o: { lr?: number; batch?: number }): void;
  exportFloat(): FloatModel;
  info(): { k: number; E: number; A: number; hidden: number[]; params: number; epoch: number; step: number };
  cancel(): boolean;
  readonly busy: boolean;
}

export interface TrainerClass {
  new (o: Record<string, unknown>): NativeTrainer;
  restore(buf: Uint8Array, o?: { threads?: number }): NativeTrainer;
  /** The fake-quant forward's int8 weight rule (native/train/quant_rule.h), row by row. */
  quantizeRows(w: Float32Array, n: number, scales?: number | Float32Array | number[]): { q: Int8Array; scales: Float32Array };
}

export function trainerClass(): TrainerClass {
  const { addon, error } = loadAddon();
  const T = addon?.exports.Trainer as TrainerClass | undefined;
  if (!T) {
    throw new NncError(
      ErrorCodes.ENGINE_UNAVAILABLE,
      `training needs the native addon with the trainer: ${error ?? 'the loaded addon has no Trainer'}`,
    );
  }
  return T;
}
