/**
 * Frame method 2 ("mixed", docs/FORMAT.md section 5) for the reference
 * engine: the parameter block, the lane table, and every lane coded as 8
 * binary decisions per byte, each with the mixing stage's probability
 * (./mix/stage.ts) and the binary form of FORMAT.md section 3's rANS.
 *
 * Per lane: a fresh stage (one stage per frame, reset() at each lane start)
 * and, when the network input is on, a fresh network context (PAD before the
 * lane's first byte, as method 1). For each byte: the network's frequencies
 * are loaded into NetworkBits, then for each bit, MSB first,
 * p = stage.predictBit(net.p(c0)), the bit is coded with p, stage.update(y).
 */
import { ErrorCodes, NncError } from '../../errors.js';
import { EXPERT_BITS, MIX_PARAMS_SIZE, type MixParams, parseMixParams, writeMixParams } from '../../format/mix-params.js';
import { MixStage, mixConfigOf } from './mix/stage.js';
import { NetworkBits } from './mix/network.js';
import type { TokenContext } from './context.js';
import type { Predictor } from './predictor.js';
import { RansDecoder, RansEncoder } from './rans.js';

/**
 * A bit y coded with p = P(y = 1) in 1..4095 (12 bits) as a rANS symbol of
 * the 2^16 total: f1 = 16·p, f0 = 2^16 − f1; a 0 takes [0, f0), a 1 [f0, 2^16).
 */
const f1Of = (p: number): number => p << 4;

/** The per-lane network side: the method-1 predictor and its context, spread over bits. */
class NetworkInput {
  private readonly ctx: TokenContext;
  private readonly f: Uint32Array;
  private readonly bits: NetworkBits;

  constructor(private readonly p: Predictor) {
    this.ctx = p.newContext();
    this.f = new Uint32Array(p.A);
    this.bits = new NetworkBits(p.tokenOf, p.ESC);
  }

  /** A lane's start: PAD before its first byte. */
  reset(): void {
    this.ctx.reset();
  }

  /** Before a byte: the network's frequencies (FORMAT.md 2.2) for it, into the bit tree. */
  load(): void {
    this.p.frequencies(this.ctx.inputs(), this.f);
    this.bits.load(this.f);
  }

  /** P(next bit = 1) at the partial byte c0 (1..255), 1..4095. */
  p1(c0: number): number {
    return this.bits.p(c0);
  }

  /** After the byte b. */
  push(b: number): void {
    this.ctx.push(b);
  }
}

/** What codes one frame's lanes: a stage reused across lanes, and the network input when it is on. */
export class MixedLaneCoder {
  private readonly stage: MixStage;
  private readonly net: NetworkInput | null;
  /** The stage is fresh (constructed, or reset) and has coded nothing yet. */
  private fresh = true;

  /** predictor: needed (and used) only when the params switch the network input on. */
  constructor(params: MixParams, predictor: Predictor | null) {
    const config = mixConfigOf(params);
    this.stage = new MixStage(config);
    if (config.net && !predictor) throw new NncError(ErrorCodes.INVALID_ARG, 'a model is needed to code a mixed frame with the network input');
    this.net = config.net ? new NetworkInput(predictor!) : null;
  }

  private startLane(): void {
    if (!this.fresh) this.stage.reset();
    this.fresh = false;
    this.net?.reset();
  }

  /** Encode one lane, data[start, end): all 8n probabilities forward, then coded last to first. */
  encodeLane(data: Uint8Array, start: number, end: number): Uint8Array {
    this.startLane();
    const { stage, net } = this;
    const probs = new Uint16Array(8 * (end - start));
    let q = 0;
    for (let i = start; i < end; i++) {
      const b = data[i];
      net?.load();
      let c0 = 1;
      for (let j = 7; j >= 0; j--) {
        const y = (b >> j) & 1;
        probs[q++] = stage.predictBit(net ? net.p1(c0) : 2048);
        stage.update(y);
        c0 = (c0 << 1) | y;
      }
      net?.push(b);
    }
    const enc = new RansEncoder();
    for (let i = end - 1; i >= start; i--) {
      const b = data[i];
      for (let j = 0; j < 8; j++) {
        const f1 = f1Of(probs[--q]);
        if ((b >> j) & 1) enc.put(f1, 65536 - f1);
        else enc.put(65536 - f1, 0);
      }
    }
    return enc.finish();
  }

  /** Decode one lane of n bytes from `stream` into out[start, start + n). */
  decodeLane(stream: Uint8Array, out: Uint8Array, start: number, n: number): void {
    this.startLane();
    const { stage, net } = this;
    const dec = new RansDecoder(stream);
    for (let i = start; i < start + n; i++) {
      net?.load();
      let c0 = 1;
      for (let j = 0; j < 8; j++) {
        const f1 = f1Of(stage.predictBit(net ? net.p1(c0) : 2048));
        const f0 = 65536 - f1;
        const y = dec.peek() >= f0 ? 1 : 0;
        if (y) dec.advance(f1, f0);
        else dec.advance(f0, 0);
        stage.update(y);
        c0 = (c0 << 1) | y;
      }
      out[i] = c0 & 255;
      net?.push(out[i]);
    }
    dec.finish();
  }
}

/**
 * The parameter block a caller asked for, checked as a decoder would check
 * it; a bad one is the caller's error (ERR_NNC_INVALID_ARG), not a damaged archive.
 */
export function mixParamsBlock(p: MixParams): Uint8Array {
  const byte = (v: number) => Number.isInteger(v) && v >= 0 && v <= 255;
  if (!Number.isInteger(p.mask) || p.mask < 0 || p.mask > 0xffffffff || ![p.hb, p.mb, p.a2b, p.level].every(byte)) {
    throw new NncError(ErrorCodes.INVALID_ARG, `Expected a mix parameter block of integers (mask u32; hb, mb, a2b, level u8) but received ${JSON.stringify(p)}`);
  }
  const block = writeMixParams(p);
  try {
    parseMixParams(block);
  } catch {
    // The decoder's message speaks of a damaged archive; this is the caller's block.
    throw new NncError(
      ErrorCodes.INVALID_ARG,
      `Expected a mix parameter block a decoder accepts (FORMAT.md 5.1: known expert bits, each size in range for an expert that is on and 0 for one that is off, level 0..9) but received ${JSON.stringify(p)}; levelParams(level) gives valid ones`,
    );
  }
  return block;
}

/** Does this block switch the network input on (and so need the model)? */
export const usesNetwork = (p: MixParams): boolean => (p.mask & EXPERT_BITS.net) !== 0;

/**
 * Method 2's payload for content (N ≥ 1) cut into lanes of laneSize, or null
 * as soon as it cannot be smaller than N (the caller then stores the frame).
 */
export function encodeMixedPayload(predictor: Predictor, params: MixParams, content: Uint8Array, laneSize: number): Uint8Array[] | null {
  const N = content.length;
  const block = mixParamsBlock(params);
  const nLanes = Math.ceil(N / laneSize);
  const table = new Uint8Array(4 * nLanes);
  const tdv = new DataView(table.buffer);
  const coder = new MixedLaneCoder(params, predictor);
  const lanes: Uint8Array[] = [];
  let B = MIX_PARAMS_SIZE + table.length;
  for (let l = 0; l < nLanes; l++) {
    if (B >= N) return null;
    const start = l * laneSize;
    const lane = coder.encodeLane(content, start, Math.min(N, start + laneSize));
    tdv.setUint32(4 * l, lane.length, true);
    lanes.push(lane);
    B += lane.length;
  }
  return B < N ? [block, table, ...lanes] : null;
}

/**
 * Decode method 2's payload (the header was checked by parseFrameHeader,
 * so 8 + 8·nLanes ≤ payload length). `model`: the frame's model, or null;
 * it is required, and must have the frame's ID, only when the network input is on.
 */
export function decodeMixedPayload(
  model: { id: string; predictor: Predictor } | null,
  modelId: string,
  payload: Uint8Array,
  N: number,
  laneSize: number,
): Uint8Array {
  const params = parseMixParams(payload);
  if (usesNetwork(params)) {
    if (!model) throw new NncError(ErrorCodes.INVALID_ARG, 'a model is needed to decode a mixed frame with the network input');
    if (model.id !== modelId) {
      throw new NncError(ErrorCodes.MODEL_MISMATCH, `archive was made with model ${modelId} but model ${model.id} was given; pass the model it was compressed with (-m MODEL)`);
    }
  }
  const nLanes = Math.ceil(N / laneSize);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const sizes: number[] = [];
  let total = MIX_PARAMS_SIZE + 4 * nLanes;
  for (let l = 0; l < nLanes; l++) {
    const s = dv.getUint32(MIX_PARAMS_SIZE + 4 * l, true);
    if (s < 4) throw new NncError(ErrorCodes.CORRUPT, `corrupt archive: lane ${l} stream of ${s} bytes`);
    sizes.push(s);
    total += s;
  }
  if (total !== payload.length) throw new NncError(ErrorCodes.CORRUPT, 'corrupt archive: lane table does not match the payload size');
  // Only now, with the block and the table checked, allocate the stage's tables.
  const coder = new MixedLaneCoder(params, usesNetwork(params) ? model!.predictor : null);
  const out = new Uint8Array(N);
  let p = MIX_PARAMS_SIZE + 4 * nLanes;
  for (let l = 0; l < nLanes; l++) {
    const start = l * laneSize;
    coder.decodeLane(payload.subarray(p, p + sizes[l]), out, start, Math.min(laneSize, N - start));
    p += sizes[l];
  }
  return out;
}
