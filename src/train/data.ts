/**
 * Training data: files split into a training part (the first 1 − v) and a
 * validation part (the last v) each, the paper's protocol applied to the
 * user's files. The alphabet is every byte value seen in the training parts.
 */
import { readRegularFileSync } from '../fs/read-regular.js';
import { ErrorCodes, NncError } from '../errors.js';

export interface TrainingData {
  train: Uint8Array[];
  valid: Uint8Array[];
  alphabet: Uint8Array;
  files: { file: string; bytes: number; trainBytes: number; validBytes: number }[];
}

export function readTrainingData(files: string[], validation = 0.2): TrainingData {
  if (!(validation > 0 && validation < 1)) {
    throw new NncError(ErrorCodes.INVALID_ARG, `Expected a fraction between 0 and 1 for validation but received ${validation}`);
  }
  if (files.length === 0) throw new NncError(ErrorCodes.INVALID_ARG, 'no training files given');
  const out: TrainingData = { train: [], valid: [], alphabet: new Uint8Array(0), files: [] };
  const seen = new Uint8Array(256);
  for (const file of files) {
    let data: Buffer;
    try {
      data = readRegularFileSync(file); // a FIFO would block signals; a device, never end
    } catch (e) {
      throw new NncError(ErrorCodes.INVALID_ARG, `cannot read training file ${file}: ${(e as Error).message}`);
    }
    const nValid = Math.floor(data.length * validation);
    const train = data.subarray(0, data.length - nValid);
    const valid = data.subarray(data.length - nValid);
    for (const b of train) seen[b] = 1;
    if (train.length) out.train.push(train);
    if (valid.length) out.valid.push(valid);
    out.files.push({ file, bytes: data.length, trainBytes: train.length, validBytes: valid.length });
  }
  const total = out.train.reduce((n, t) => n + t.length, 0);
  if (total < 1024) throw new NncError(ErrorCodes.INVALID_ARG, `only ${total} bytes of training data: give at least 1 KiB (better: megabytes)`);
  if (out.valid.length === 0) throw new NncError(ErrorCodes.INVALID_ARG, 'the files are too small to hold out validation data');
  out.alphabet = Uint8Array.from(Array.from(seen.keys()).filter((b) => seen[b]));
  return out;
}

export interface Architecture {
  k: number;
  E: number;
  hidden: number[];
}

/** `--size` presets: the paper's 512-512 is `large`. */
export const PRESETS: Record<string, Architecture> = {
  tiny: { k: 16, E: 8, hidden: [32, 32] },
  small: { k: 16, E: 16, hidden: [64, 64] },
  medium: { k: 16, E: 16, hidden: [128, 128] },
  large: { k: 16, E: 16, hidden: [512, 512] },
};
