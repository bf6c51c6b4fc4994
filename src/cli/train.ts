/**
 * `nnc train`, `nnc prune`, `nnc eval`: make a model for your own data type
 * (the way `zstd --train` makes a dictionary), a pruned family of models, or
 * measure a model on files.
 *
 *   nnc train FILES... -o model.nncm [--size tiny|small|medium|large] [--hidden 512,512] [--embed 16]
 *             [--context 16] [--epochs N] [--lr X] [--batch N] [--seed N] [-T N] [--validation F]
 *             [--samples N] [--resume CKPT]
 *   nnc prune FILES... -o DIR [the training flags] [--lasso-epochs N] [--alpha0 X] [--threshold X]
 *   nnc prune --resume MODEL.nncm.ckpt -o DIR     (prune what nnc train made)
 *   nnc eval -m MODEL FILES...
 */
import { existsSync } from 'node:fs';
import { readRegularFileSync } from '../fs/read-regular.js';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { engineOption, parseOptions, UsageError, type OptionSpec } from './args.js';
import { describeError } from './text.js';
import { EXIT_ERROR, EXIT_OK, type CliIo } from './context.js';
import { INTERVAL_MS, StatusLine } from './progress.js';
import { installSignalCleanup } from './tempfile.js';
import type { EngineChoice } from '../engine/select.js';
import { loadModel, resolveModel } from '../model/model.js';
import { PRESETS } from '../train/data.js';
import { measure } from '../train/evaluate.js';
import { stillImproving, trainEpochs } from '../train/convergence.js';
import { checkTrainOutputs, OutputExists, prepareFamilyDir, writeModelFile } from '../train/outputs.js';
import { runPipeline, type FamilyMember } from '../train/pipeline.js';
import { referenceBits } from '../train/references.js';
import { recommend, writeReport } from '../train/report.js';
import { Session, cancelAllSessions, type EpochRecord, type Progress, type TrainSettings } from '../train/session.js';

const HELP = `Usage: nnc train FILE... -o MODEL.nncm [OPTION]...
       nnc prune FILE... -o DIR [OPTION]...
       nnc eval [-m MODEL] FILE...

train: fit a predictor to your data type. The last --validation fraction of
each FILE is held out to stop training when it no longer improves.
prune: train (or start from nnc train's checkpoint: --resume MODEL.nncm.ckpt),
then grow a group-lasso penalty and cut dead nodes, retraining each
snapshot: a family of models from large/slow to small/fast, with
report.json, report.md and report.svg in DIR; the report recommends one.
An existing model, checkpoint or non-empty DIR is never replaced without -f
(archives name their model: the old one is needed to decode them).

Network:
  --size S            tiny (32-32), small (64-64), medium (128-128, default), large (512-512)
  --hidden W,W        hidden layer widths (overrides --size)
  --embed E           embedding width (default 16)
  --context K         context length in bytes (default 16)
Training:
  --epochs N          at most N epochs (default 10; early stop after 2 without progress)
  --samples N         samples per epoch (default: every training byte)
  --lr X              Adam learning rate (default 0.002; with --resume, the rate
                      to continue at, e.g. a lower one to fine-tune)
  --batch N           batch size (default 8192)
  --seed N            random seed (default 1): same seed, same data → same model
  -T, --threads N     threads (default: one per CPU)
  --validation F      held-out fraction of each file (default 0.2)
  --resume CKPT       continue from a checkpoint (written after every epoch to OUT.ckpt)
  -f, --force         replace an existing model and checkpoint (prune: the family in DIR)
Pruning:
  --lasso-epochs N    at most N lasso epochs (default 30)
  --alpha0 X          lasso prefactor α_t = X·t² (default 2e-5; the paper's 5e-7 is
                      far slower with our mean loss: docs/TRAINING.md)
  --threshold X       prune a node when a group's RMS < X (default 1e-3)
  --retrain N         retraining epochs per snapshot (default 10)
  --snapshot-ratio R  snapshot when parameters fell R× since the last (default 1.5)
  -q, --quiet         no progress
`;

interface TrainArgs {
  files: string[];
  out?: string;
  model?: string;
  settings: TrainSettings;
  epochs: number;
  resume?: string;
  quiet: boolean;
  lassoEpochs: number;
  alpha0: number;
  threshold: number;
  retrain: number;
  snapshotRatio: number;
  engine?: EngineChoice;
  /** --samples was given (it then overrides a resumed checkpoint's setting). */
  samplesGiven?: boolean;
  /** --lr was given (with --resume it continues at that rate: fine-tuning). */
  lrGiven?: boolean;
  /** -f: replace existing outputs. */
  force: boolean;
  /** --hidden was given (a later --size then keeps it). */
  hiddenGiven?: boolean;
}

/**
 * The lasso prefactor the bundled model's family and the benchmarks used
 * (docs/BENCHMARKS.md): with our mean per-sample loss the paper's 5e-7 needs
 * many epochs before any node dies; 2e-5 prunes within ~15 lasso epochs,
 * and a 4× gentler ramp gave the same family.
 */
export const DEFAULT_ALPHA0 = 2e-5;

/** A number in [lo, hi] (an integer unless `int` is false), for the option `name`. */
function num(name: string, v: string, lo: number, hi: number, int = true): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n))) {
    throw new UsageError(`${name} expects ${int ? 'an integer' : 'a number'} from ${lo} to ${hi}, got ${v}`);
  }
  return n;
}

/** The options of nnc train, prune and eval, parsed by the parser every nnc command shares (args.ts). */
const OPTIONS: OptionSpec<TrainArgs>[] = [
  { long: 'output', short: 'o', value: (a, v) => (a.out = v) },
  { long: 'model', short: 'm', value: (a, v) => (a.model = v) },
  {
    long: 'size',
    value: (a, v) => {
      const p = Object.hasOwn(PRESETS, v) ? PRESETS[v] : undefined;
      if (!p) throw new UsageError(`--size expects one of ${Object.keys(PRESETS).join(', ')}`);
      a.settings.k = p.k;
      a.settings.E = p.E;
      if (!a.hiddenGiven) a.settings.hidden = [...p.hidden];
    },
  },
  {
    long: 'hidden',
    value: (a, v) => {
      const h = v.split(',').map((x) => num('--hidden', x, 1, 4096));
      if (h.length < 1 || h.length > 4) throw new UsageError('--hidden expects 1 to 4 comma-separated widths');
      a.settings.hidden = h;
      a.hiddenGiven = true;
    },
  },
  { long: 'embed', value: (a, v) => (a.settings.E = num('--embed', v, 1, 64)) },
  { long: 'context', value: (a, v) => (a.settings.k = num('--context', v, 1, 64)) },
  { long: 'epochs', value: (a, v) => (a.epochs = num('--epochs', v, 1, 10000)) },
  { long: 'samples', value: (a, v) => ((a.settings.samples = num('--samples', v, 0, 2 ** 52)), (a.samplesGiven = true)) },
  { long: 'lr', value: (a, v) => ((a.settings.lr = num('--lr', v, 1e-7, 1, false)), (a.lrGiven = true)) },
  { long: 'batch', value: (a, v) => (a.settings.batch = num('--batch', v, 1, 1 << 20)) },
  { long: 'seed', value: (a, v) => (a.settings.seed = num('--seed', v, 0, 2 ** 52)) },
  { long: 'threads', short: 'T', value: (a, v) => (a.settings.threads = num('--threads', v, 0, 256) || availableParallelism()) },
  { long: 'validation', value: (a, v) => (a.settings.validation = num('--validation', v, 0.001, 0.999, false)) },
  { long: 'lane-size', value: (a, v) => (a.settings.laneSize = num('--lane-size', v, 1, 1 << 24)) },
  { long: 'resume', value: (a, v) => (a.resume = v) },
  { long: 'lasso-epochs', value: (a, v) => (a.lassoEpochs = num('--lasso-epochs', v, 1, 10000)) },
  { long: 'alpha0', value: (a, v) => (a.alpha0 = num('--alpha0', v, 0, 1, false)) },
  { long: 'threshold', value: (a, v) => (a.threshold = num('--threshold', v, 0, 1, false)) },
  { long: 'retrain', value: (a, v) => (a.retrain = num('--retrain', v, 1, 100)) },
  { long: 'snapshot-ratio', value: (a, v) => (a.snapshotRatio = num('--snapshot-ratio', v, 1, 1000, false)) },
  engineOption(),
  { long: 'quiet', short: 'q', flag: (a) => (a.quiet = true) },
  { long: 'force', short: 'f', flag: (a) => (a.force = true) },
];

function parse(cmd: string, argv: readonly string[]): TrainArgs {
  const preset = PRESETS.medium;
  const a: TrainArgs = {
    files: [],
    settings: { ...preset, hidden: [...preset.hidden], lr: 0.002, batch: 8192, seed: 1, threads: availableParallelism(), laneSize: 65536, validation: 0.2, samples: 0 },
    epochs: 10, quiet: false, lassoEpochs: 30, alpha0: DEFAULT_ALPHA0, threshold: 1e-3, retrain: 10, snapshotRatio: 1.5, force: false,
  };
  return parseOptions(argv, OPTIONS, a, (o, file) => o.files.push(file), (name) => `unknown option ${name} for nnc ${cmd}`);
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

/** Progress on a terminal: one status line (progress.ts), redrawn; elsewhere: one line per epoch. */
function progressPrinter(io: CliIo, quiet: boolean) {
  const status = new StatusLine(io.stderr.isTTY && !quiet ? io.stderr : undefined);
  let last = 0;
  return {
    status,
    progress(p: Progress): void {
      if (!status.active) return;
      const now = Date.now();
      if (now - last < INTERVAL_MS && p.done < p.total) return;
      last = now;
      const frac = p.total ? p.done / p.total : 0;
      const bar = '#'.repeat(Math.round(frac * 20)).padEnd(20, '-');
      const eta = (p.total - p.done) / Math.max(1, p.samplesPerSec);
      status.draw(`${p.phase} epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}%  train ${p.bits.toFixed(3)} b/B  ${(p.samplesPerSec / 1e3).toFixed(0)}k samples/s  ETA ${fmtTime(eta)}`, true);
    },
    epoch(r: EpochRecord): void {
      if (quiet) return;
      status.clear();
      io.stderr.write(`${r.phase} epoch ${r.epoch}: train ${r.trainBits.toFixed(4)}  valid ${r.validBits.toFixed(4)} bits/byte  hidden ${r.hidden.join('-')}  ${r.params} params  ${(r.samples / r.seconds / 1e3).toFixed(0)}k samples/s  ${r.seconds.toFixed(1)} s${r.lasso ? `  lasso α=${r.lasso.toExponential(2)}` : ''}\n`);
    },
    model(m: FamilyMember): void {
      if (quiet) return;
      status.clear();
      io.stderr.write(`model ${m.file}: ${m.params} params, valid ${m.validBits.toFixed(4)} bits/byte (float ${m.floatBits.toFixed(4)}), ${m.compressMBps.toFixed(2)} MB/s\n`);
    },
  };
}

/** A path as a shell word, so a printed command can be pasted as is. */
const shellWord = (p: string): string => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

/** Ctrl-C stops training at the next batch; the last checkpoint stays usable (a second Ctrl-C exits at once). */
function onInterrupt(io: CliIo, ckpt: string | undefined): () => void {
  return installSignalCleanup(() => {
    io.stderr.write(`\nnnc: interrupted: stopping at the next batch${ckpt && existsSync(ckpt) ? `; resume with --resume ${ckpt}` : ''}\n`);
    cancelAllSessions();
  });
}

export async function trainCommand(cmd: 'train' | 'prune' | 'eval', argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  let a: TrainArgs;
  try {
    a = parse(cmd, argv);
    if (cmd !== 'eval' && !a.out) throw new UsageError(`nnc ${cmd} needs -o ${cmd === 'train' ? 'MODEL.nncm' : 'DIR'}`);
    if (a.files.length === 0 && !a.resume) throw new UsageError(`nnc ${cmd} needs input FILEs`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`nnc: ${cmd}: ${e.message}\nTry 'nnc ${cmd} --help' for more information.\n`);
    return EXIT_ERROR;
  }
  try {
    if (cmd === 'eval') return await evalCommand(a, io);
    const ckpt = cmd === 'train' ? `${a.out}.ckpt` : `${a.out}/train.ckpt`;
    const uninstall = io.signals === false ? () => {} : onInterrupt(io, ckpt);
    try {
      return cmd === 'train' ? await train(a, ckpt, io) : await prune(a, ckpt, io);
    } finally {
      uninstall();
    }
  } catch (e) {
    if (e instanceof OutputExists) io.stderr.write(`nnc: ${e.file}: ${e.message}\n`);
    else io.stderr.write(`nnc: ${cmd}: ${describeError(e)}\n`);
    return EXIT_ERROR;
  }
}

function metaFor(s: Session, method: string) {
  return {
    name: `nnc-${basename(s.files[0] ?? 'data')}-${s.settings.hidden.join('-')}`,
    description: `trained by nnc on ${s.files.length} file(s)`,
    method,
    trainedOn: s.data.files.map((f) => ({ file: basename(f.file), bytes: f.trainBytes, part: `first ${((1 - s.settings.validation) * 100).toFixed(0)}% (the rest validates)` })),
    created: new Date().toISOString().slice(0, 10),
  };
}

/** A new session, or the resumed one with the flags given here (threads always; samples and lr only if given). */
function openSession(a: TrainArgs): Session {
  if (!a.resume) return Session.create(a.files, a.settings);
  return Session.resume(a.resume, {
    threads: a.settings.threads,
    samples: a.samplesGiven ? a.settings.samples : undefined,
    lr: a.lrGiven ? a.settings.lr : undefined,
  });
}

async function train(a: TrainArgs, ckpt: string, io: CliIo): Promise<number> {
  const out = a.out!;
  checkTrainOutputs(out, ckpt, a.resume, a.force);
  const pp = progressPrinter(io, a.quiet);
  const s = openSession(a);
  await s.fit('train', Math.max(0, a.epochs - trainEpochs(s.history)), { onEpoch: pp.epoch, onProgress: pp.progress, checkpoint: ckpt });
  if (s.wasCancelled) {
    io.stderr.write(`nnc: train: stopped; ${existsSync(ckpt) ? `the checkpoint ${ckpt} holds the last finished epoch: resume with nnc train --resume ${ckpt} -o ${out}` : 'no epoch had finished, nothing was saved'}\n`);
    return 130;
  }
  const meta = metaFor(s, `float32 Adam (lr ${s.settings.lr}, batch ${s.settings.batch}, seed ${s.settings.seed}), ${s.history.length} epochs, early stopping on validation; int8/u8 export`);
  // The checkpoint now holds the weights that were exported (early stopping
  // restored the best epoch's), so --resume and nnc prune start from them.
  s.save(ckpt);
  const ex = await s.export(meta, { onProgress: pp.progress });
  await writeModelFile(out, ex.bytes, a.force);
  if (!a.quiet) {
    pp.status.clear();
    io.stderr.write(`wrote ${out}: ${ex.model.info.parameters} parameters, id ${ex.model.id}; validation ${ex.intBits.toFixed(4)} bits/byte (float ${ex.floatBits.toFixed(4)}${ex.qat ? ', after quantization-aware fine-tuning' : ''})\n`);
    const done = trainEpochs(s.history);
    if (done >= a.epochs && stillImproving(s.history)) {
      io.stderr.write(
        `nnc: train: validation was still improving at the epoch limit (${done}); to continue (-f replaces ${out}):\n` +
          `  nnc train --resume ${shellWord(ckpt)} --epochs ${done * 2} -o ${shellWord(out)} -f\n`,
      );
    }
  }
  return EXIT_OK;
}

async function prune(a: TrainArgs, ckpt: string, io: CliIo): Promise<number> {
  const t0 = Date.now();
  const pp = progressPrinter(io, a.quiet);
  const s = openSession(a);
  prepareFamilyDir(a.out!, a.force);
  const baseMeta = metaFor(s, `group-lasso pruning (α_t = ${a.alpha0}·t², threshold ${a.threshold}), retrained ≤ ${a.retrain} epochs`);
  const family = await runPipeline(s, {
    outDir: a.out!, epochs: a.epochs, lassoEpochs: a.lassoEpochs, alpha0: a.alpha0, threshold: a.threshold,
    retrainEpochs: a.retrain, snapshotRatio: a.snapshotRatio, minWidth: 4, baseMeta,
    onEpoch: pp.epoch, onProgress: pp.progress, onModel: pp.model, checkpoint: ckpt,
  });
  const references = referenceBits(s.data.valid);
  writeReport(a.out!, { settings: s.settings, files: s.data.files, family, history: s.history, seconds: (Date.now() - t0) / 1000, references });
  if (s.wasCancelled) {
    io.stderr.write(`nnc: prune: stopped; ${family.length} model(s) and the report are in ${a.out}\n`);
    return 130;
  }
  if (!a.quiet) {
    pp.status.clear();
    io.stderr.write(`wrote ${family.length} models and report.{json,md,svg} to ${a.out}\n`);
    const r = recommend(family);
    if (r.model) io.stderr.write(`recommended: ${join(a.out!, r.model.file)} (${r.rule})\n`);
  }
  return EXIT_OK;
}

async function evalCommand(a: TrainArgs, io: CliIo): Promise<number> {
  const model = a.model ? loadModel(a.model) : resolveModel(undefined);
  io.stdout.write(`model ${model.metadata.name ?? '?'} (${model.id}), ${model.info.parameters} parameters\n`);
  io.stdout.write('file\tbytes\tideal bits/B\tactual bits/B\tcompress MB/s\tdecompress MB/s\tengine\n');
  let status = EXIT_OK;
  for (const f of a.files) {
    try {
      const data = readRegularFileSync(f);
      const m = await measure(model, data, { engine: a.engine, threads: a.settings.threads });
      io.stdout.write(`${f}\t${m.bytes}\t${m.idealBits.toFixed(4)}\t${m.actualBits.toFixed(4)}\t${m.compressMBps.toFixed(2)}\t${m.decompressMBps.toFixed(2)}\t${m.engine}\n`);
    } catch (e) {
      io.stderr.write(`nnc: eval: ${f}: ${describeError(e)}\n`);
      status = EXIT_ERROR;
    }
  }
  return status;
}
