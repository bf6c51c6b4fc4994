/**
 * A training session: the native float trainer (./trainer.ts) plus what the
 * paper's recipe needs around it — epochs with early stopping on validation,
 * checkpoints that resume exactly (./checkpoint.ts), and export to the
 * integer .nncm format with calibration and, when needed,
 * quantization-aware fine-tuning.
 */
import { ErrorCodes, NncError } from '../errors.js';
import { compress } from '../api.js';
import { serializeModel } from '../format/model-file.js';
import { Model } from '../model/model.js';
import type { ModelMetadata } from '../model/types.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { readTrainingData, type TrainingData } from './data.js';
import { quantScales, quantize } from './export.js';
import { trainerClass, type NativeTrainer, type TrainerSnapshot } from './trainer.js';

export interface TrainSettings {
  k: number;
  E: number;
  hidden: number[];
  lr: number;
  batch: number;
  seed: number;
  threads: number;
  laneSize: number;
  /** Fraction of each file held out for validation. */
  validation: number;
  /** Samples per epoch (0: every training byte). */
  samples: number;
}

export interface EpochRecord {
  epoch: number;
  phase: 'train' | 'lasso' | 'retrain' | 'qat';
  lasso: number;
  trainBits: number;
  validBits: number;
  samples: number;
  seconds: number;
  hidden: number[];
  E: number;
  params: number;
}

export interface Progress {
  phase: EpochRecord['phase'];
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  bits: number;
  samplesPerSec: number;
}

/** Every session alive in this process, so one Ctrl-C can stop them all. */
const live = new Set<Session>();

export function cancelAllSessions(): void {
  for (const s of live) s.cancel();
}

export class Session {
  history: EpochRecord[] = [];
  private cancelled = false;

  private constructor(
    readonly trainer: NativeTrainer,
    readonly settings: TrainSettings,
    readonly data: TrainingData,
    readonly files: string[],
  ) {
    live.add(this);
  }

  /** Forget this session (its trainer is freed with it). */
  close(): void {
    live.delete(this);
  }

  static create(files: string[], s: TrainSettings, data = readTrainingData(files, s.validation)): Session {
    const T = trainerClass();
    const trainer = new T({
      k: s.k, E: s.E, hidden: s.hidden, alphabet: data.alphabet, seed: s.seed, threads: s.threads,
      lr: s.lr, batch: s.batch, laneSize: s.laneSize,
    });
    trainer.setData(data.train, data.valid);
    return new Session(trainer, s, data, files);
  }

  /** A checkpoint written by save(): the same files must still be there. */
  static resume(path: string, overrides: Partial<Pick<TrainSettings, 'threads' | 'samples' | 'lr'>> = {}): Session {
    const { head, trainer: state } = readCheckpoint<TrainSettings, EpochRecord>(path);
    const settings: TrainSettings = { ...head.settings, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
    const data = readTrainingData(head.files.map((f) => f.file), settings.validation);
    data.files.forEach((f, i) => {
      if (f.bytes !== head.files[i].bytes) {
        throw new NncError(ErrorCodes.INVALID_ARG, `training file ${f.file} changed since the checkpoint (${head.files[i].bytes} → ${f.bytes} bytes)`);
      }
    });
    const trainer = trainerClass().restore(state, { threads: settings.threads });
    trainer.setData(data.train, data.valid);
    // The checkpoint holds the Adam moments; a new rate keeps them and only changes the step.
    if (overrides.lr !== undefined) trainer.setOptimizer({ lr: settings.lr });
    const s = new Session(trainer, settings, data, head.files.map((f) => f.file));
    s.history = head.history;
    return s;
  }

  /** Write a checkpoint atomically (temp file + rename), so Ctrl-C never leaves half of one. */
  save(path: string): void {
    const files = this.data.files.map((f) => ({ file: f.file, bytes: f.bytes }));
    writeCheckpoint(path, { settings: this.settings, files, history: this.history }, this.trainer.checkpoint());
  }

  /**
   * An independent copy (same weights and optimizer state) that shares this
   * session's training data, in JS and in the native trainer alike.
   */
  fork(): Session {
    const t = this.trainer.clone({ threads: this.settings.threads });
    const s = new Session(t, this.settings, this.data, this.files);
    s.history = [...this.history];
    return s;
  }

  get epoch(): number {
    return this.trainer.info().epoch;
  }

  cancel(): void {
    this.cancelled = true;
    this.trainer.cancel();
  }

  get wasCancelled(): boolean {
    return this.cancelled;
  }

  /** One epoch, then validation. Returns null if cancelled. */
  async runEpoch(phase: EpochRecord['phase'], lasso: number, onProgress?: (p: Progress) => void, epochs = 0): Promise<EpochRecord | null> {
    if (this.cancelled) return null;
    const t0 = Date.now();
    const epoch = this.trainer.info().epoch + 1;
    const r = await this.trainer.trainEpoch(
      { lasso, ...(this.settings.samples > 0 ? { maxSamples: this.settings.samples } : {}) },
      onProgress && ((done, total, bits) => onProgress({ phase, epoch, epochs, done, total, bits, samplesPerSec: done / Math.max(1e-3, (Date.now() - t0) / 1000) })),
    );
    if (r.cancelled || this.cancelled) return null;
    const validBits = await this.trainer.evaluate('valid');
    const info = this.trainer.info();
    const rec: EpochRecord = {
      epoch: r.epoch, phase, lasso, trainBits: r.bits, validBits, samples: r.samples, seconds: r.seconds,
      hidden: info.hidden, E: info.E, params: info.params,
    };
    this.history.push(rec);
    return rec;
  }

  /**
   * Train without penalty for up to `epochs` epochs, stopping early after
   * `patience` epochs without a better validation figure; ends with the best
   * weights seen.
   */
  async fit(
    phase: 'train' | 'retrain' | 'qat',
    epochs: number,
    o: { patience?: number; onEpoch?: (r: EpochRecord) => void; onProgress?: (p: Progress) => void; checkpoint?: string } = {},
  ): Promise<number> {
    const patience = o.patience ?? 2;
    /** Lowest validation bits seen in this run of epochs, with its weights (freed when fit returns). */
    let best: { bits: number; snap: TrainerSnapshot } | null = null;
    let since = 0;
    for (let e = 0; e < epochs; e++) {
      const r = await this.runEpoch(phase, 0, o.onProgress, epochs);
      if (!r) break;
      o.onEpoch?.(r);
      if (!best || r.validBits < best.bits) {
        best = { bits: r.validBits, snap: this.trainer.snapshot() };
        since = 0;
      } else if (++since >= patience) break;
      if (o.checkpoint) this.save(o.checkpoint);
    }
    if (best && !this.cancelled) {
      const last = this.history[this.history.length - 1];
      if (last && last.validBits > best.bits) this.trainer.restoreSnapshot(best.snap);
    }
    return best?.bits ?? (await this.trainer.evaluate('valid'));
  }

  /**
   * Export to .nncm: calibrate activation scales on training data, quantize,
   * measure the integer model on the validation data (real archives from the
   * cpu engine), and fine-tune with fake quantization when the integer model
   * is more than `tolerance` worse than the float one.
   */
  async export(meta: ModelMetadata, o: { tolerance?: number; qatEpochs?: number; onProgress?: (p: Progress) => void } = {}): Promise<ExportResult> {
    const tolerance = o.tolerance ?? 0.01;
    const floatBits = await this.trainer.evaluate('valid');
    const stats = await this.trainer.activationStats(Math.min(200_000, this.data.train.reduce((n, t) => n + t.length, 0)));
    // The 99.999th percentile: clipping the rare larger activations costs less than coarser steps for all.
    const actScale = stats.layers.map((l) => Math.max(l.p99999, 1e-6) / 255);
    let f = this.trainer.exportFloat();
    let tensors = quantize(f, quantScales(f, actScale));
    let bytes = serializeModel(tensors, meta);
    let intBits = await this.validationBits(bytes);
    let qat = false;
    if (intBits > floatBits * (1 + tolerance) && (o.qatEpochs ?? 2) > 0) {
      qat = true;
      const sc = quantScales(f, actScale);
      this.trainer.setFakeQuant({ actScale, weightScale: [...f.hidden.map(() => []), sc.weightScale[f.hidden.length]] });
      this.trainer.setOptimizer({ lr: this.settings.lr / 4 });
      await this.fit('qat', o.qatEpochs ?? 2, { patience: 1, onProgress: o.onProgress });
      this.trainer.setFakeQuant(null);
      this.trainer.setOptimizer({ lr: this.settings.lr });
      f = this.trainer.exportFloat();
      const t2 = quantize(f, { ...quantScales(f, actScale), weightScale: [...quantScales(f, actScale).weightScale.slice(0, -1), sc.weightScale[f.hidden.length]] });
      const b2 = serializeModel(t2, meta);
      const bits2 = await this.validationBits(b2);
      if (bits2 < intBits) {
        tensors = t2;
        bytes = b2;
        intBits = bits2;
      }
    }
    return { bytes, model: new Model(bytes), floatBits, intBits, qat };
  }

  /** Bits per byte of real archives of the validation data. */
  async validationBits(modelBytes: Uint8Array): Promise<number> {
    const model = new Model(modelBytes);
    let bits = 0;
    let n = 0;
    for (const v of this.data.valid) {
      // Level 1: the model's own coding (the default level mixes in adaptive contexts).
      const packed = await compress(v, { model, engine: 'cpu', threads: this.settings.threads, laneSize: this.settings.laneSize, level: 1 });
      bits += 8 * packed.length;
      n += v.length;
    }
    return bits / n;
  }
}

export interface ExportResult {
  bytes: Uint8Array;
  model: Model;
  /** Float model, validation bits per byte (ideal, from the trainer). */
  floatBits: number;
  /** Integer model, validation bits per byte of real archives. */
  intBits: number;
  qat: boolean;
}
