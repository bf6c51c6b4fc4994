/**
 * The paper's model-compression pipeline (Qin & Sun, Methods): train the wide
 * network to convergence, then keep training with a group-lasso term whose
 * prefactor grows as α_t = α0·t², cut out every hidden node whose group RMS
 * falls below the threshold (≈ 0.5 × learning rate under Adam), and retrain
 * snapshots of the shrinking network without the penalty. The result is a
 * family of models from large/slow to small/fast.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelMetadata } from '../model/types.js';
import { stoppedEarly, trainEpochs } from './convergence.js';
import { measure } from './evaluate.js';
import { writeModelFile } from './outputs.js';
import { Session, type EpochRecord, type Progress } from './session.js';

export interface PipelineOptions {
  outDir: string;
  /**
   * Epochs of the unpenalized training (early stopping on validation),
   * counting those a resumed session already has: a session resumed from
   * `nnc train`'s checkpoint that stopped early, or reached this many, goes
   * straight to the lasso.
   */
  epochs: number;
  /** At most this many lasso epochs. */
  lassoEpochs: number;
  alpha0: number;
  threshold: number;
  /** Retraining epochs per snapshot (the paper: ≤ 10). */
  retrainEpochs: number;
  /** Take a snapshot when the parameter count fell by this factor since the last one. */
  snapshotRatio: number;
  /** Stop when every hidden layer is at most this wide. */
  minWidth: number;
  baseMeta: ModelMetadata;
  onEpoch?: (r: EpochRecord) => void;
  onProgress?: (p: Progress) => void;
  onModel?: (m: FamilyMember) => void;
  checkpoint?: string;
}

export interface FamilyMember {
  file: string;
  hidden: number[];
  E: number;
  params: number;
  lassoEpoch: number;
  floatBits: number;
  /** Validation bits per byte of real archives (the integer model). */
  validBits: number;
  idealBits: number;
  compressMBps: number;
  decompressMBps: number;
  qat: boolean;
}

/** Write the snapshot's integer model and measure it. */
async function snapshot(s: Session, o: PipelineOptions, lassoEpoch: number, onProgress?: (p: Progress) => void): Promise<FamilyMember> {
  const info = s.trainer.info();
  const name = `model-${info.hidden.join('-')}-e${info.E}.nncm`;
  const ex = await s.export(
    { ...o.baseMeta, name: `${o.baseMeta.name ?? 'nnc'}-${info.hidden.join('-')}`, method: `${o.baseMeta.method ?? ''}; pruned at lasso epoch ${lassoEpoch}` },
    { onProgress },
  );
  const file = join(o.outDir, name);
  // The directory was prepared for this family (prepareFamilyDir): a snapshot replaces its namesake.
  await writeModelFile(file, ex.bytes, true);
  // Throughput on (up to 1 MB of) the validation data with the cpu engine.
  const valid = Buffer.concat(s.data.valid).subarray(0, 1 << 20);
  const m = await measure(ex.model, valid, { engine: 'cpu', threads: s.settings.threads });
  return {
    file: name, hidden: info.hidden, E: info.E, params: ex.model.info.parameters, lassoEpoch,
    floatBits: ex.floatBits, validBits: ex.intBits, idealBits: m.idealBits,
    compressMBps: m.compressMBps, decompressMBps: m.decompressMBps, qat: ex.qat,
  };
}

export async function runPipeline(s: Session, o: PipelineOptions): Promise<FamilyMember[]> {
  mkdirSync(o.outDir, { recursive: true });
  const family: FamilyMember[] = [];
  const add = (m: FamilyMember) => {
    family.push(m);
    o.onModel?.(m);
  };

  const remaining = stoppedEarly(s.history) ? 0 : Math.max(0, o.epochs - trainEpochs(s.history));
  await s.fit('train', remaining, { onEpoch: o.onEpoch, onProgress: o.onProgress, checkpoint: o.checkpoint });
  if (s.wasCancelled) return family;
  // Forks are closed when done with: a live session is kept (for Ctrl-C), and with it its trainer.
  const first = s.fork();
  try {
    add(await snapshot(first, o, 0));
  } finally {
    first.close();
  }

  let lastParams = s.trainer.info().params;
  for (let t = 1; t <= o.lassoEpochs; t++) {
    const alpha = o.alpha0 * t * t;
    const r = await s.runEpoch('lasso', alpha, o.onProgress, o.lassoEpochs);
    if (!r) break;
    o.onEpoch?.(r);
    const pr = s.trainer.prune(o.threshold);
    const info = s.trainer.info();
    const removed = pr.removed.reduce((a, b) => a + b, 0) + pr.embedRemoved;
    if (removed > 0 && lastParams / info.params >= o.snapshotRatio) {
      const snap = s.fork();
      try {
        await snap.fit('retrain', o.retrainEpochs, { onEpoch: o.onEpoch, onProgress: o.onProgress });
        if (snap.wasCancelled || s.wasCancelled) break;
        add(await snapshot(snap, o, t));
      } finally {
        snap.close();
      }
      lastParams = info.params;
    }
    if (info.hidden.every((h) => h <= o.minWidth)) break;
    if (o.checkpoint) s.save(o.checkpoint);
  }
  return family;
}
