/**
 * Where a run of unpenalized training stands, read from its epoch history:
 * still improving (worth more epochs: the CLI prints the --resume command)
 * or stopped early (converged: `nnc prune` starting from `nnc train`'s
 * checkpoint goes straight to the lasso).
 */
import type { EpochRecord } from './session.js';

const trainRecords = (h: readonly EpochRecord[]) => h.filter((r) => r.phase === 'train');

/** Unpenalized training epochs done (what `--epochs` counts, resumed runs included). */
export function trainEpochs(history: readonly EpochRecord[]): number {
  return trainRecords(history).length;
}

/** The last training epoch set a new best validation figure. */
export function stillImproving(history: readonly EpochRecord[]): boolean {
  const t = trainRecords(history);
  if (t.length === 0) return false;
  const last = t[t.length - 1].validBits;
  return t.slice(0, -1).every((r) => last < r.validBits);
}

/** The last `patience` training epochs brought no better validation figure (Session.fit's early stop). */
export function stoppedEarly(history: readonly EpochRecord[], patience = 2): boolean {
  const t = trainRecords(history);
  if (t.length <= patience) return false;
  const bestBefore = Math.min(...t.slice(0, -patience).map((r) => r.validBits));
  return t.slice(-patience).every((r) => r.validBits >= bestBefore);
}
