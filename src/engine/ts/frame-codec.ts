/**
 * Frame encoding and decoding for the reference engine (docs/FORMAT.md
 * sections 2.3, 3 and 4.1): lanes, escapes, the stored fallback, checksums.
 * Every lane is driven through its context model (./context.ts): reset at
 * the lane start, then inputs → frequencies → code → push at each position.
 * Method 2 (the mixing stage, FORMAT.md section 5) is in ./mix-codec.ts;
 * this file chooses the method and checks what every method shares.
 */
import { ErrorCodes, NncError } from '../../errors.js';
import {
  FRAME_HEADER_SIZE, MAX_FRAME_CONTENT, MAX_LANE_SIZE, METHOD_MIXED, METHOD_NEURAL, METHOD_STORED,
  frameChecksum, parseFrameHeader, writeFrame,
} from '../../format/frame.js';
import type { MixParams } from '../../format/mix-params.js';
import { toHex64, xxh64 } from '../../xxhash64.js';
import { decodeMixedPayload, encodeMixedPayload, mixParamsBlock } from './mix-codec.js';
import { Predictor } from './predictor.js';
import { RansDecoder, RansEncoder } from './rans.js';

export interface TsModel {
  readonly id: string;
  predictor: Predictor;
}

/** Encode one lane: data[start, end). */
export function encodeLane(p: Predictor, data: Uint8Array, start: number, end: number): Uint8Array {
  const f = new Uint32Array(p.A);
  const cm = p.newContext();
  // Coded symbols in forward order, as (f, c) pairs; an escaped byte adds a raw symbol.
  const syms: number[] = [];
  for (let i = start; i < end; i++) {
    p.frequencies(cm.inputs(), f);
    const s = p.tokenOf[data[i]];
    let c = 0;
    for (let t = 0; t < s; t++) c += f[t];
    syms.push(f[s], c);
    if (s === p.ESC) syms.push(256, data[i] * 256);
    cm.push(data[i]);
  }
  const enc = new RansEncoder();
  for (let q = syms.length - 2; q >= 0; q -= 2) enc.put(syms[q], syms[q + 1]);
  return enc.finish();
}

/** Decode one lane of `n` bytes into out[start, start+n). */
export function decodeLane(p: Predictor, stream: Uint8Array, out: Uint8Array, start: number, n: number): void {
  const f = new Uint32Array(p.A);
  const cm = p.newContext();
  const dec = new RansDecoder(stream);
  for (let i = start; i < start + n; i++) {
    p.frequencies(cm.inputs(), f);
    const slot = dec.peek();
    let s = 0;
    let c = 0;
    while (c + f[s] <= slot) c += f[s++];
    dec.advance(f[s], c);
    if (s === p.ESC) {
      const b = dec.peek() >>> 8;
      dec.advance(256, b * 256);
      out[i] = b;
    } else {
      out[i] = p.tokenOfInverse(s);
    }
    cm.push(out[i]);
  }
  dec.finish();
}

function checkLaneSize(laneSize: number): void {
  if (!Number.isInteger(laneSize) || laneSize < 1 || laneSize > MAX_LANE_SIZE) {
    throw new NncError(ErrorCodes.INVALID_ARG, `Expected an integer from 1 to ${MAX_LANE_SIZE} for laneSize but received ${laneSize}`);
  }
}

/**
 * The full frequency table the coder uses for `content` cut into lanes of
 * `laneSize`: content.length rows of A frequencies (row i = position i), as
 * the native frequencyTable (native/core/frame.h). For tests and measurement.
 */
export function frequencyTable(p: Predictor, content: Uint8Array, laneSize: number): Uint32Array {
  checkLaneSize(laneSize);
  const table = new Uint32Array(content.length * p.A);
  const cm = p.newContext();
  for (let i = 0; i < content.length; i++) {
    if (i % laneSize === 0) cm.reset();
    p.frequencies(cm.inputs(), table.subarray(i * p.A, (i + 1) * p.A));
    cm.push(content[i]);
  }
  return table;
}

/** One frame: method 2 with the parameter block `mix` when given, else method 1; stored when that would not shrink. */
export function compressFrame(m: TsModel, content: Uint8Array, laneSize: number, mix?: MixParams): Uint8Array {
  const N = content.length;
  if (N > MAX_FRAME_CONTENT) throw new NncError(ErrorCodes.INVALID_ARG, `frame content of ${N} bytes exceeds ${MAX_FRAME_CONTENT}`);
  checkLaneSize(laneSize);
  const checksum = xxh64(content);
  if (mix) {
    mixParamsBlock(mix); // a bad block is the caller's error even where the frame ends up stored
    const payload = N > 0 ? encodeMixedPayload(m.predictor, mix, content, laneSize) : null;
    if (payload) return writeFrame(METHOD_MIXED, m.id, N, laneSize, payload, checksum);
  } else if (N > 0) {
    const nLanes = Math.ceil(N / laneSize);
    const table = new Uint8Array(4 * nLanes);
    const tdv = new DataView(table.buffer);
    const lanes: Uint8Array[] = [];
    let B = table.length;
    for (let l = 0; l < nLanes && B < N; l++) {
      const start = l * laneSize;
      const lane = encodeLane(m.predictor, content, start, Math.min(N, start + laneSize));
      tdv.setUint32(4 * l, lane.length, true);
      lanes.push(lane);
      B += lane.length;
    }
    // FORMAT.md 4.1 "Choice": stored unless the neural payload is smaller.
    if (B < N) return writeFrame(METHOD_NEURAL, m.id, N, laneSize, [table, ...lanes], checksum);
  }
  return writeFrame(METHOD_STORED, m.id, N, 0, [content], checksum);
}

export function decompressFrame(m: TsModel | null, frame: Uint8Array): Uint8Array {
  const h = parseFrameHeader(frame, 0);
  if (h.frameSize !== frame.length) {
    throw new NncError(ErrorCodes.CORRUPT, `corrupt archive: frame is ${h.frameSize} bytes but ${frame.length} were given`);
  }
  const payload = frame.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + h.payloadSize);
  let out: Uint8Array;
  if (h.method === METHOD_STORED) {
    out = payload.slice();
  } else if (h.method === METHOD_MIXED) {
    out = decodeMixedPayload(m, h.modelId, payload, h.contentSize, h.laneSize);
  } else {
    if (!m) throw new NncError(ErrorCodes.INVALID_ARG, 'a model is needed to decode a neural frame');
    if (m.id !== h.modelId) {
      throw new NncError(ErrorCodes.MODEL_MISMATCH, `archive was made with model ${h.modelId} but model ${m.id} was given; pass the model it was compressed with (-m MODEL)`);
    }
    const N = h.contentSize;
    const nLanes = Math.ceil(N / h.laneSize);
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    let total = 4 * nLanes;
    const sizes: number[] = [];
    for (let l = 0; l < nLanes; l++) {
      const s = dv.getUint32(4 * l, true);
      if (s < 4) throw new NncError(ErrorCodes.CORRUPT, `corrupt archive: lane ${l} stream of ${s} bytes`);
      sizes.push(s);
      total += s;
    }
    if (total !== h.payloadSize) throw new NncError(ErrorCodes.CORRUPT, 'corrupt archive: lane table does not match the payload size');
    out = new Uint8Array(N);
    let p = 4 * nLanes;
    for (let l = 0; l < nLanes; l++) {
      const start = l * h.laneSize;
      decodeLane(m.predictor, payload.subarray(p, p + sizes[l]), out, start, Math.min(h.laneSize, N - start));
      p += sizes[l];
    }
  }
  if (xxh64(out) !== frameChecksum(frame, 0, h)) {
    throw new NncError(ErrorCodes.CHECKSUM, 'checksum mismatch: the decoded content differs from what was compressed; the archive is damaged');
  }
  return out;
}

export const modelIdOf = (canonical: Uint8Array): string => toHex64(xxh64(canonical));
