/**
 * The training checkpoint file (`nnc train --resume`):
 *
 *   "\x89NCK" | u32 n (little-endian) | n bytes of JSON head | the native
 *   trainer's checkpoint (native/train/checkpoint.cc: weights, optimizer
 *   state, RNG; checksummed there)
 *
 * The head holds the settings, the training files with their sizes (the
 * data is read again from them, and must not have changed) and the epoch
 * history.
 */
import { readRegularFileSync } from '../fs/read-regular.js';
import { replaceFileSync } from '../fs/atomic-write.js';
import { ErrorCodes, NncError } from '../errors.js';

const MAGIC = Buffer.from([0x89, 0x4e, 0x43, 0x4b]); // "\x89NCK"

export interface CheckpointHead<Settings, Record> {
  version?: number;
  settings: Settings;
  files: { file: string; bytes: number }[];
  history: Record[];
}

export function readCheckpoint<S, R>(path: string): { head: CheckpointHead<S, R>; trainer: Buffer } {
  const buf = readRegularFileSync(path);
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new NncError(ErrorCodes.CORRUPT, `${path} is not an nnc training checkpoint`);
  }
  const n = buf.readUInt32LE(4);
  if (8 + n > buf.length) throw new NncError(ErrorCodes.TRUNCATED, `checkpoint ${path} is truncated`);
  let head: CheckpointHead<S, R>;
  try {
    head = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw new NncError(ErrorCodes.CORRUPT, `checkpoint ${path} has a damaged header`);
  }
  return { head, trainer: buf.subarray(8 + n) };
}

/** Writes atomically (temp file + rename), so Ctrl-C never leaves half of one. */
export function writeCheckpoint<S, R>(path: string, head: CheckpointHead<S, R>, trainer: Uint8Array): void {
  const json = Buffer.from(JSON.stringify({ version: 1, ...head }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  replaceFileSync(path, Buffer.concat([MAGIC, len, json, trainer]));
}
