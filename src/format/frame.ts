/**
 * Frame headers (docs/FORMAT.md section 4.1), shared by every engine and by
 * the facade that walks concatenated frames. Validation here is what lets
 * later code allocate by N and nLanes safely.
 */
import { ErrorCodes, NncError } from '../errors.js';

export const FRAME_MAGIC = [0x89, 0x4e, 0x4e, 0x43] as const;
/**
 * The version writers put in every frame. Version-2 frames belong to an
 * archive that ends with an end record (archive.ts); version-1 frames (nnc
 * 0.1) have none and are still read. The frame layout is the same in both.
 */
export const FRAME_VERSION = 2;
export const LEGACY_FRAME_VERSION = 1;
export const FRAME_HEADER_SIZE = 28;
export const FRAME_TRAILER_SIZE = 8;
export const FRAME_OVERHEAD = FRAME_HEADER_SIZE + FRAME_TRAILER_SIZE;
export const MAX_FRAME_CONTENT = 2 ** 26;
export const MAX_LANE_SIZE = 2 ** 24;
export const METHOD_STORED = 0;
export const METHOD_NEURAL = 1;
/** Network + adaptive context-mixing stage, binary rANS (FORMAT.md section 5). Version-2 frames only. */
export const METHOD_MIXED = 2;
/** Method 2's parameter block size (src/format/mix-params.ts). */
const MIX_PARAMS_BYTES = 8;
export const DEFAULT_LANE_SIZE = 65536;
export const DEFAULT_FRAME_SIZE = 4 * 1024 * 1024;

export interface FrameHeader {
  /** 1 (legacy, no end record) or 2. */
  version: 1 | 2;
  method: 0 | 1 | 2;
  /** 16 lowercase hex digits. */
  modelId: string;
  contentSize: number;
  laneSize: number;
  payloadSize: number;
  /** Whole frame: header + payload + checksum. */
  frameSize: number;
}

const corruptAt = (offset: number, msg: string) =>
  new NncError(ErrorCodes.CORRUPT, `corrupt archive: ${msg} (frame at byte ${offset}); the file is damaged or not an .nnc archive`);

/** Throw ERR_NNC_CORRUPT if the bytes present at `offset` cannot start a frame. */
export function checkMagicPrefix(buf: Uint8Array, offset: number, at = offset): void {
  for (let i = 0; i < 4 && offset + i < buf.length; i++) if (buf[offset + i] !== FRAME_MAGIC[i]) throw corruptAt(at, 'bad magic');
}

/**
 * Parse and validate the header of the frame starting at `offset`. Checks that
 * the whole frame is present (else ERR_NNC_TRUNCATED), but not the payload.
 * `at` is the frame's offset in the whole archive, for messages (a stream
 * decoder holds only part of it).
 */
export function parseFrameHeader(buf: Uint8Array, offset = 0, requireWhole = true, at = offset): FrameHeader {
  const avail = buf.length - offset;
  const truncated = () =>
    new NncError(ErrorCodes.TRUNCATED, `archive is truncated: the frame at byte ${at} is incomplete (${avail} bytes left); the file was cut short — recover the complete file`);
  const corrupt = (o: number, msg: string) => corruptAt(at + (o - offset), msg);
  checkMagicPrefix(buf, offset, at);
  if (avail < FRAME_HEADER_SIZE) throw truncated();
  const dv = new DataView(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_SIZE);
  const version = dv.getUint8(4);
  if (version !== FRAME_VERSION && version !== LEGACY_FRAME_VERSION) {
    throw new NncError(ErrorCodes.UNSUPPORTED, `archive frame version ${version} at byte ${at} is not supported (this nnc reads versions 1 and 2); upgrade nnc-native`);
  }
  const method = dv.getUint8(5);
  if (method !== METHOD_STORED && method !== METHOD_NEURAL && !(method === METHOD_MIXED && version === FRAME_VERSION)) {
    throw new NncError(ErrorCodes.UNSUPPORTED, `archive frame uses unknown method ${method}${method === METHOD_MIXED ? ' in a version-1 frame' : ''}; upgrade nnc-native`);
  }
  if (dv.getUint16(6, true) !== 0) {
    throw new NncError(ErrorCodes.UNSUPPORTED, 'archive frame has reserved flags set; it was written by a newer nnc: upgrade nnc-native');
  }
  const modelId = dv.getBigUint64(8, true).toString(16).padStart(16, '0');
  const contentSize = dv.getUint32(16, true);
  const laneSize = dv.getUint32(20, true);
  const payloadSize = dv.getUint32(24, true);
  if (contentSize > MAX_FRAME_CONTENT) throw corrupt(offset, `content size ${contentSize} exceeds the limit ${MAX_FRAME_CONTENT}`);
  if (method === METHOD_STORED) {
    if (laneSize !== 0) throw corrupt(offset, 'stored frame with non-zero lane size');
    if (payloadSize !== contentSize) throw corrupt(offset, 'stored frame whose payload size differs from its content size');
  } else {
    if (contentSize === 0) throw corrupt(offset, 'neural frame with no content');
    if (laneSize < 1 || laneSize > MAX_LANE_SIZE) throw corrupt(offset, `lane size ${laneSize} out of range`);
    const nLanes = Math.ceil(contentSize / laneSize);
    // Each lane: a 4-byte table entry and a stream of at least 4 bytes; method 2 adds its parameter block.
    const fixed = method === METHOD_MIXED ? MIX_PARAMS_BYTES : 0;
    if (fixed + 4 * nLanes + 4 * nLanes > payloadSize) throw corrupt(offset, `payload of ${payloadSize} bytes cannot hold ${nLanes} lanes`);
  }
  const frameSize = FRAME_OVERHEAD + payloadSize;
  if (requireWhole && avail < frameSize) throw truncated();
  return { version: version as 1 | 2, method: method as 0 | 1 | 2, modelId, contentSize, laneSize, payloadSize, frameSize };
}

/** Assemble a frame from its parts. */
export function writeFrame(
  method: 0 | 1 | 2,
  modelId: string,
  contentSize: number,
  laneSize: number,
  payload: Uint8Array[],
  checksum: bigint,
): Uint8Array {
  const payloadSize = payload.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(FRAME_OVERHEAD + payloadSize);
  const dv = new DataView(out.buffer);
  out.set(FRAME_MAGIC, 0);
  dv.setUint8(4, FRAME_VERSION);
  dv.setUint8(5, method);
  dv.setUint16(6, 0, true);
  dv.setBigUint64(8, BigInt('0x' + modelId), true);
  dv.setUint32(16, contentSize, true);
  dv.setUint32(20, laneSize, true);
  dv.setUint32(24, payloadSize, true);
  let p = FRAME_HEADER_SIZE;
  for (const part of payload) { out.set(part, p); p += part.length; }
  dv.setBigUint64(p, checksum, true);
  return out;
}

/** The stored checksum of a frame whose header was parsed. */
export function frameChecksum(buf: Uint8Array, offset: number, h: FrameHeader): bigint {
  return new DataView(buf.buffer, buf.byteOffset + offset + FRAME_HEADER_SIZE + h.payloadSize, 8).getBigUint64(0, true);
}

/**
 * The stored checksum of a whole frame: its last FRAME_TRAILER_SIZE bytes
 * (also what a reader that skipped the payload passes: the trailer alone).
 */
export const storedChecksum = (frame: Uint8Array): bigint =>
  new DataView(frame.buffer, frame.byteOffset + frame.length - FRAME_TRAILER_SIZE, FRAME_TRAILER_SIZE).getBigUint64(0, true);

/** The content size a frame this process just wrote states (no validation: for trusted frames only). */
export const frameContentSize = (frame: Uint8Array): number =>
  new DataView(frame.buffer, frame.byteOffset + 16, 4).getUint32(0, true);

/** A stored frame holds its content as is (no model was needed to write it, none to read it). */
export const isStored = (h: Pick<FrameHeader, 'method'>): boolean => h.method === METHOD_STORED;
