/**
 * Frame method 2 ("mixed", docs/FORMAT.md section 5): the parameter block
 * that opens its payload, and the compression levels that choose it.
 *
 * The block names every expert the stage uses and every table size, so a
 * decoder allocates exactly what the writer used and a level is only a
 * writer's preset: any valid block decodes, whatever level wrote it.
 */
import { ErrorCodes, NncError } from '../errors.js';

/** Bits of the experts mask (FORMAT.md 5.1), in the stage's input order. */
export const EXPERT_BITS = {
  o1: 1 << 0,
  o2: 1 << 1,
  o3: 1 << 2,
  o4: 1 << 3,
  o6: 1 << 4,
  w: 1 << 5,
  o5: 1 << 6,
  o8: 1 << 7,
  s2: 1 << 8,
  s3: 1 << 9,
  s34: 1 << 10,
  r1: 1 << 11,
  r2: 1 << 12,
  match: 1 << 13,
  net: 1 << 14,
  mixer2: 1 << 15,
  apm: 1 << 16,
} as const;
export type ExpertName = keyof typeof EXPERT_BITS;
/** The hashed kinds' bits (1..12). */
export const HASHED_BITS = 0x1ffe;
export const KNOWN_EXPERT_BITS = 0x1ffff;

export const MIX_PARAMS_SIZE = 8;
/** Limits of the table sizes (bits), FORMAT.md 5.1: they bound a lane's state (section 5.9). */
export const HB_MIN = 10;
export const HB_MAX = 18;
export const MB_MIN = 12;
export const MB_MAX = 22;
export const A2B_MIN = 8;
export const A2B_MAX = 16;

export interface MixParams {
  /** Experts mask (EXPERT_BITS). */
  mask: number;
  /** 2^hb buckets per hashed kind (0 when no hashed kind is on). */
  hb: number;
  /** 2^mb match-table entries (0 without the match model). */
  mb: number;
  /** 2^a2b contexts of APM2 (0 without the APMs). */
  a2b: number;
  /** The writer's level (2..9), or 0: informational, decoders never use it. */
  level: number;
}

const maskOf = (...names: ExpertName[]): number => names.reduce((m, n) => m | EXPERT_BITS[n], 0);

/** The full set of hashed kinds (o2 … r2). */
const ALL_KINDS: ExpertName[] = ['o2', 'o3', 'o4', 'o6', 'w', 'o5', 'o8', 's2', 's3', 's34', 'r1', 'r2'];

/**
 * The levels (docs/design/format-v2-mixing.md sections 6 and 10 measured
 * them): 1 is method 1, the network alone; 2..9 are method 2 presets, from
 * few inputs (each input costs time per bit) to all of them with larger tables.
 */
const PRESETS: Record<number, { experts: ExpertName[]; hb: number; mb?: number; a2b: number }> = {
  // "lpaq-like": order 1, 2, 4, match, network, APMs.
  2: { experts: ['o1', 'o2', 'o4', 'match', 'net', 'apm'], hb: 16, a2b: 14 },
  // "lean": orders 2, 4, 6 and words.
  3: { experts: ['o2', 'o4', 'o6', 'w', 'match', 'net', 'apm'], hb: 16, a2b: 14 },
  // "fast": lean plus sparse and record contexts (binaries, tables).
  4: { experts: ['o2', 'o4', 'o6', 'w', 's2', 's34', 'r1', 'match', 'net', 'apm'], hb: 16, a2b: 14 },
  // fast plus order 1 and the second mixer.
  5: { experts: ['o1', 'o2', 'o4', 'o6', 'w', 's2', 's34', 'r1', 'match', 'net', 'mixer2', 'apm'], hb: 16, a2b: 14 },
  // "mid" (the default): every kind but o3, o5, o8 and s3, which bought ≤ 0.6% for 29–34% of the time.
  6: { experts: ['o1', 'o2', 'o4', 'o6', 'w', 's2', 's34', 'r1', 'r2', 'match', 'net', 'mixer2', 'apm'], hb: 16, a2b: 14 },
  // "full": every expert.
  7: { experts: ['o1', ...ALL_KINDS, 'match', 'net', 'mixer2', 'apm'], hb: 16, a2b: 14 },
  8: { experts: ['o1', ...ALL_KINDS, 'match', 'net', 'mixer2', 'apm'], hb: 17, mb: 20, a2b: 16 },
  9: { experts: ['o1', ...ALL_KINDS, 'match', 'net', 'mixer2', 'apm'], hb: 18, mb: 20, a2b: 16 },
};

export const MIN_LEVEL = 1;
export const MAX_LEVEL = 9;
export const DEFAULT_LEVEL = 6;
/** The match table's size where a preset does not say (2^18 u32 positions, 1 MiB, as measured). */
const LEVEL_MB = 18;

/** The parameter block a level writes, or null for level 1 (method 1, the network alone). */
export function levelParams(level: number): MixParams | null {
  if (level === 1) return null;
  const p = PRESETS[level];
  if (!p) throw new RangeError(`level ${level} is not 1..9`);
  const mask = maskOf(...p.experts);
  return {
    mask,
    hb: mask & HASHED_BITS ? p.hb : 0,
    mb: mask & EXPERT_BITS.match ? (p.mb ?? LEVEL_MB) : 0,
    a2b: mask & EXPERT_BITS.apm ? p.a2b : 0,
    level,
  };
}

/**
 * Method 2 writers' lane size for a frame of n bytes (FORMAT.md 4.3): lanes
 * of at least 1 MiB, because the adaptive state learns from its lane only
 * (resetting every 64 KiB cost 12–60%), and two lanes per frame from 2 MiB
 * on, so two cores share a frame.
 */
export const mixLaneSize = (n: number): number => Math.min(MAX_MIX_LANE, Math.max(1 << 20, Math.ceil(n / 2)));
/** The format's lane size limit (FORMAT.md 4.1). */
const MAX_MIX_LANE = 2 ** 24;

/** ceil(log2(n)) for n ≥ 1. */
const bitsFor = (n: number): number => (n <= 1 ? 0 : 32 - Math.clz32(n - 1));

/**
 * A level's block for lanes of at most `laneBytes` bytes (FORMAT.md 4.3):
 * tables no larger than the lane can fill — 2^HB ≥ 2·laneBytes buckets (a
 * byte selects two per kind), 2^MB ≥ laneBytes match entries, 2^A2B ≥
 * 8·laneBytes APM2 contexts, within each size's limits. A lane resets its
 * whole state, so without this a 1 KB input would fill the default level's
 * ~50 MiB of tables; with it, it fills ~2 MiB. Lanes as large as the
 * tables are unchanged.
 */
export function fitToLane(p: MixParams, laneBytes: number): MixParams {
  const n = Math.max(1, laneBytes);
  const fit = (v: number, lo: number, want: number) => (v === 0 ? 0 : Math.min(v, Math.max(lo, want)));
  return { ...p, hb: fit(p.hb, HB_MIN, bitsFor(n) + 1), mb: fit(p.mb, MB_MIN, bitsFor(n)), a2b: fit(p.a2b, A2B_MIN, bitsFor(n) + 3) };
}



/** Names of the experts a mask switches on, in mask order. */
export const expertNames = (mask: number): ExpertName[] =>
  (Object.keys(EXPERT_BITS) as ExpertName[]).filter((n) => mask & EXPERT_BITS[n]);

/** The 8-byte block (FORMAT.md 5.1). */
export function writeMixParams(p: MixParams): Uint8Array {
  const out = new Uint8Array(MIX_PARAMS_SIZE);
  new DataView(out.buffer).setUint32(0, p.mask, true);
  out[4] = p.hb;
  out[5] = p.mb;
  out[6] = p.a2b;
  out[7] = p.level;
  return out;
}

/**
 * Parse and validate the block at the start of a method-2 payload
 * (FORMAT.md 5.1); `at` is the frame's offset in the archive, for messages.
 * Unknown expert bits are ERR_NNC_UNSUPPORTED (a newer writer); a size out
 * of range, or given for an expert that is off, is ERR_NNC_CORRUPT.
 */
export function parseMixParams(payload: Uint8Array, at = 0): MixParams {
  const corrupt = (msg: string) =>
    new NncError(ErrorCodes.CORRUPT, `corrupt archive: ${msg} (frame at byte ${at}); the file is damaged or not an .nnc archive`);
  if (payload.length < MIX_PARAMS_SIZE) throw corrupt('mixed frame too short for its parameter block');
  const mask = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
  const [hb, mb, a2b, level] = [payload[4], payload[5], payload[6], payload[7]];
  if ((mask & ~KNOWN_EXPERT_BITS) !== 0) {
    throw new NncError(ErrorCodes.UNSUPPORTED, `archive frame at byte ${at} uses unknown experts (mask 0x${mask.toString(16)}); it was written by a newer nnc: upgrade nnc-native`);
  }
  const size = (name: string, v: number, on: boolean, lo: number, hi: number) => {
    if (on ? v < lo || v > hi : v !== 0) throw corrupt(`${name} = ${v} (${on ? `expected ${lo}..${hi}` : 'expected 0: its expert is off'})`);
  };
  size('HB', hb, (mask & HASHED_BITS) !== 0, HB_MIN, HB_MAX);
  size('MB', mb, (mask & EXPERT_BITS.match) !== 0, MB_MIN, MB_MAX);
  size('A2B', a2b, (mask & EXPERT_BITS.apm) !== 0, A2B_MIN, A2B_MAX);
  if (level > MAX_LEVEL) throw corrupt(`level byte ${level} (expected 0..${MAX_LEVEL})`);
  return { mask, hb, mb, a2b, level };
}
