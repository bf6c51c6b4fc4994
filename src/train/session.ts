/**
 * A training session: the native float trainer (native/train) plus what the
 * paper's recipe needs around it — epochs with early stopping on validation,
 * checkpoints that resume exactly, and export to the integer .nncm format
 * with calibration and, when needed, quantization-aware fine-tuning.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ErrorCodes, NncError } from '../errors.js';
import { loadAddon } from '../native/addon.js';
import { compress } from '../api.js';
import { serializeModel } from '../format/model-file.js';
import { Model } from '../model/model.js';
import type { ModelMetadata } from '../model/types.js';
import { readTrainingData, type TrainingData } from './data.js';
import { quantScales, quantize, type FloatModel } from './export.js';

/* The native Trainer (native/addon/train_binding.cc). */
export interface NativeTrainer {
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
  setFakeQuant(p: { embedScale?: number; actScale: number[]; weightScale?: number[][] } | null): void;
  setOptimizer(o: { lr?: number; batch?: number }): void;
  exportFloat(): FloatModel;
  info(): { k: number; E: number; A: number; hidden: number[]; params: number; epoch: number; step: number };
  cancel(): boolean;
  readonly busy: boolean;
}

interface TrainerClass {
  new (o: Record<string, unknown>): NativeTrainer;
  restore(buf: Uint8Array, o?: { threads?: number }): NativeTrainer;
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

const CKPT_MAGIC = Buffer.from([0x89, 0x4e, 0x43, 0x4b]); // "\x89NCK"

export class Session {
  history: EpochRecord[] = [];
  /** Lowest validation bits seen in the current run of epochs, with its weights. */
  private best: { bits: number; ckpt: Buffer } | null = null;
  private cancelled = false;

  private constructor(
    public trainer: NativeTrainer,
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
    const buf = readFileSync(path);
    if (buf.length < 8 || !buf.subarray(0, 4).equals(CKPT_MAGIC)) {
      throw new NncError(ErrorCodes.CORRUPT, `${path} is not an nnc training checkpoint`);
    }
    const n = buf.readUInt32LE(4);
    if (8 + n > buf.length) throw new NncError(ErrorCodes.TRUNCATED, `checkpoint ${path} is truncated`);
    let head: { settings: TrainSettings; files: { file: string; bytes: number }[]; history: EpochRecord[] };
    try {
      head = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    } catch {
      throw new NncError(ErrorCodes.CORRUPT, `checkpoint ${path} has a damaged header`);
    }
    const settings: TrainSettings = { ...head.settings, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
    const data = readTrainingData(head.files.map((f) => f.file), settings.validation);
    data.files.forEach((f, i) => {
      if (f.bytes !== head.files[i].bytes) {
        throw new NncError(ErrorCodes.INVALID_ARG, `training file ${f.file} changed since the checkpoint (${head.files[i].bytes} → ${f.bytes} bytes)`);
      }
    });
    const trainer = trainerClass().restore(buf.subarray(8 + n), { threads: settings.threads });
    trainer.setData(data.train, data.valid);
    // The checkpoint holds the Adam moments; a new rate keeps them and only changes the step.
    if (overrides.lr !== undefined) trainer.setOptimizer({ lr: settings.lr });
    const s = new Session(trainer, settings, data, head.files.map((f) => f.file));
    s.history = head.history;
    return s;
  }

  /** Write a checkpoint atomically (temp file + rename), so Ctrl-C never leaves half of one. */
  save(path: string): void {
    const head = Buffer.from(JSON.stringify({
      version: 1, settings: this.settings, files: this.data.files.map((f) => ({ file: f.file, bytes: f.bytes })), history: this.history,
    }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([CKPT_MAGIC, len, head, this.trainer.checkpoint()]));
    renameSync(tmp, path);
  }

  /** An independent copy (same data, same weights and optimizer state). */
  fork(): Session {
    const t = trainerClass().restore(this.trainer.checkpoint(), { threads: this.settings.threads });
    t.setData(this.data.train, this.data.valid);
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
    this.best = null;
    let since = 0;
    for (let e = 0; e < epochs; e++) {
      const r = await this.runEpoch(phase, 0, o.onProgress, epochs);
      if (!r) break;
      o.onEpoch?.(r);
      if (!this.best || r.validBits < this.best.bits) {
        this.best = { bits: r.validBits, ckpt: this.trainer.checkpoint() };
        since = 0;
      } else if (++since >= patience) break;
      if (o.checkpoint) this.save(o.checkpoint);
    }
    if (this.best && !this.cancelled) {
      const last = this.history[this.history.length - 1];
      if (last && last.validBits > this.best.bits) this.restoreWeights(this.best.ckpt);
    }
    return this.best?.bits ?? (await this.trainer.evaluate('valid'));
  }

  private restoreWeights(ckpt: Buffer): void {
    this.trainer = trainerClass().restore(ckpt, { threads: this.settings.threads });
    this.trainer.setData(this.data.train, this.data.valid);
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
      const packed = await compress(v, { model, engine: 'cpu', threads: this.settings.threads, laneSize: this.settings.laneSize });
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
