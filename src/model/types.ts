/**
 * A model's integer tensors exactly as docs/FORMAT.md section 1.2 lays them
 * out. This is what the file holds and what every engine computes with.
 */
export interface HiddenLayer {
  /** H × nIn, row-major: w[h * nIn + i]. */
  w: Int8Array;
  b: Int32Array; // H
  m: Uint16Array; // H, requantization multipliers
  s: number; // shift, 1..40
}

export interface ModelTensors {
  k: number; // context length
  E: number; // embedding width
  /** Byte values predicted directly, strictly increasing (A - 1 of them; symbol A-1 is ESC). */
  alphabet: Uint8Array;
  emb: Int8Array; // (A + 1) × E, row t = token t (token A = PAD)
  hidden: HiddenLayer[]; // L = 1..4
  wOut: Int8Array; // A × H[L-1]
  bOut: Int32Array; // A
  mOut: number; // u16
  sOut: number; // 1..40
  /** EXP[0] = 65536, non-increasing, length T = 2..4096. */
  exp: Uint32Array;
}

export interface ModelMetadata {
  name?: string;
  description?: string;
  trainedOn?: { file: string; bytes: number; part?: string }[];
  method?: string;
  created?: string;
  figures?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A parsed, validated model file. */
export interface ParsedModel {
  tensors: ModelTensors;
  metadata: ModelMetadata;
  /** Model ID: XXH64 of the canonical section, 16 lowercase hex digits. */
  id: string;
  /** The canonical section bytes (what the ID hashes). */
  canonical: Uint8Array;
  /** The whole file. */
  bytes: Uint8Array;
}

/** Alphabet size A including the escape. */
export const alphabetSize = (t: ModelTensors): number => t.alphabet.length + 1;

/** Number of weights and biases (what `nnc model info` prints as `parameters:`). */
export function parameterCount(t: ModelTensors): number {
  let n = t.emb.length + t.wOut.length + t.bOut.length;
  for (const l of t.hidden) n += l.w.length + l.b.length;
  return n;
}
