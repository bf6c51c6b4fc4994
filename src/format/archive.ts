/**
 * The archive around the frames (docs/FORMAT.md section 4): version-2 frames
 * followed by an **end record** that proves the archive is whole — how many
 * frames, how much content, and a chained hash of their checksums, so a cut
 * archive, or one with a frame dropped, duplicated or moved, fails instead of
 * decoding "successfully" to part of the data.
 *
 * One reader for every decoder: the Buffer APIs, the streams, `inspect` and
 * `nnc -l` feed it the bytes they have, item by item (a frame header or an
 * end record), so they accept and reject exactly the same inputs with the
 * same codes and byte offsets.
 */
import { ErrorCodes, NncError } from '../errors.js';
import { xxh64 } from '../xxhash64.js';
import {
  FRAME_HEADER_SIZE, FRAME_MAGIC, FRAME_VERSION, LEGACY_FRAME_VERSION, type FrameHeader, frameContentSize, parseFrameHeader, storedChecksum,
} from './frame.js';

export const END_MAGIC = [0x89, 0x4e, 0x4e, 0x45] as const; // "\x89NNE"
export const END_VERSION = 2;
export const END_RECORD_SIZE = 40;

const M64 = 0xffffffffffffffffn;

/** What an end record states (and what a reader counts). */
export interface ArchiveTotals {
  frames: bigint;
  contentSize: bigint;
  /** H_n of the chain below. */
  framesHash: bigint;
}

/**
 * The running totals of one archive: H_0 = 0, H_i = XXH64(H_{i-1} ‖ N_i ‖ C_i)
 * over 24 bytes (u64 LE each), N_i the content size and C_i the stored
 * checksum of frame i. Chained, so order matters and the state is 8 bytes
 * however long the stream.
 */
export class ArchiveTally implements ArchiveTotals {
  frames = 0n;
  contentSize = 0n;
  framesHash = 0n;
  private readonly step = new Uint8Array(24);
  private readonly dv = new DataView(this.step.buffer);

  add(contentSize: number, checksum: bigint): void {
    this.dv.setBigUint64(0, this.framesHash, true);
    this.dv.setBigUint64(8, BigInt(contentSize), true);
    this.dv.setBigUint64(16, checksum, true);
    this.framesHash = xxh64(this.step);
    this.frames += 1n;
    this.contentSize = (this.contentSize + BigInt(contentSize)) & M64;
  }

  /** Count a whole frame (as an engine wrote it): its content size and stored checksum. */
  addFrame(frame: Uint8Array): void {
    this.add(frameContentSize(frame), storedChecksum(frame));
  }

  /** The end record a writer appends after the last frame. */
  endRecord(): Uint8Array {
    const out = new Uint8Array(END_RECORD_SIZE);
    const dv = new DataView(out.buffer);
    out.set(END_MAGIC, 0);
    dv.setUint8(4, END_VERSION);
    dv.setBigUint64(8, this.frames, true);
    dv.setBigUint64(16, this.contentSize, true);
    dv.setBigUint64(24, this.framesHash, true);
    dv.setBigUint64(32, xxh64(out.subarray(0, 32)), true);
    return out;
  }
}

/** Parse and check an end record (40 bytes at `buf[0..]`); `at` is its archive offset, for messages. */
export function parseEndRecord(buf: Uint8Array, at: number): ArchiveTotals {
  const dv = new DataView(buf.buffer, buf.byteOffset, END_RECORD_SIZE);
  if (dv.getBigUint64(32, true) !== xxh64(buf.subarray(0, 32))) {
    throw new NncError(ErrorCodes.CORRUPT, `corrupt archive: the end record at byte ${at} fails its check; the file is damaged`);
  }
  const version = dv.getUint8(4);
  if (version !== END_VERSION) {
    throw new NncError(ErrorCodes.UNSUPPORTED, `archive end record version ${version} at byte ${at} is not supported (this nnc reads version ${END_VERSION}); upgrade nnc-native`);
  }
  if (buf[5] !== 0 || buf[6] !== 0 || buf[7] !== 0) {
    throw new NncError(ErrorCodes.UNSUPPORTED, `archive end record at byte ${at} has reserved bytes set; it was written by a newer nnc: upgrade nnc-native`);
  }
  return { frames: dv.getBigUint64(8, true), contentSize: dv.getBigUint64(16, true), framesHash: dv.getBigUint64(24, true) };
}

export type ArchiveItem =
  | { kind: 'frame'; at: number; header: FrameHeader; size: number }
  | { kind: 'end'; at: number; size: number };

const truncatedArchive = (at: number, what: string): NncError =>
  new NncError(
    ErrorCodes.TRUNCATED,
    `archive is incomplete: ${what} (byte ${at}); the file was cut short, or frames were lost, duplicated or reordered — recover the complete file`,
  );

/**
 * Walks an archive item by item. The caller keeps the bytes; the reader keeps
 * the offset and the open archive's tally:
 *
 *     while (more input) {
 *       need = r.headSize(bytesAtOffset)      // 4, 28 or 40; throws on bad magic
 *       item = r.item(first `need` bytes)     // validates header / end record
 *       … for a frame: once its `size` bytes are there, r.frameDone(frameBytes), decode it
 *       … for an end record: nothing more (item() checked it)
 *     }
 *     r.finish()
 */
export class ArchiveReader {
  /** Archive offset of the next item. */
  offset = 0;
  /** Frames walked so far (all archives, both versions). */
  frames = 0;
  /** Content bytes the frames walked so far hold. */
  contentSize = 0;
  /** The version-2 archive being read, if any (its end record is still due). */
  private open: ArchiveTally | null = null;
  private openAt = 0;
  private pending: FrameHeader | null = null;

  /**
   * `checkOrder: false` skips only the comparison of the frames' hash chain
   * (counts and sizes are still checked): for a quick look at the structure
   * before decoding, where a frame whose stored checksum is damaged should
   * fail as ERR_NNC_CHECKSUM when it is decoded — as it does in a stream,
   * which meets the frame before the end record.
   */
  constructor(private readonly checkOrder = true) {}

  /**
   * How many bytes, from `offset`, identify and size the next item, given the
   * first bytes present (`prefix` may be shorter than 4). Throws
   * ERR_NNC_CORRUPT at once when they cannot start a frame or an end record.
   */
  headSize(prefix: Uint8Array): number {
    const n = Math.min(prefix.length, 4);
    let frame = true;
    let end = true;
    for (let i = 0; i < n; i++) {
      frame &&= prefix[i] === FRAME_MAGIC[i];
      end &&= prefix[i] === END_MAGIC[i];
    }
    if (!frame && !end) {
      throw new NncError(ErrorCodes.CORRUPT, `corrupt archive: bad magic at byte ${this.offset}; the file is damaged or not an .nnc archive${this.frames > 0 ? ' (or has trailing garbage)' : ''}`);
    }
    if (n < 4) return 4;
    return frame ? FRAME_HEADER_SIZE : END_RECORD_SIZE;
  }

  /**
   * Parse the next item from its first headSize() bytes. A frame is then
   * `size` bytes long and must be passed to frameDone() before the next item;
   * an end record is whole and is checked here against the frames before it.
   */
  item(head: Uint8Array): ArchiveItem {
    if (this.pending) throw new Error('ArchiveReader: frameDone() was not called');
    const at = this.offset;
    if (this.headSize(head) === END_RECORD_SIZE) {
      if (head.length < END_RECORD_SIZE) throw truncatedArchive(at, `the end record is cut short (${head.length} of ${END_RECORD_SIZE} bytes)`);
      const stated = parseEndRecord(head, at);
      const tally = this.open;
      if (!tally) {
        throw new NncError(ErrorCodes.CORRUPT, `corrupt archive: an end record at byte ${at} follows no frames of its archive; the file is damaged`);
      }
      if (stated.frames !== tally.frames || stated.contentSize !== tally.contentSize || (this.checkOrder && stated.framesHash !== tally.framesHash)) {
        throw truncatedArchive(
          at,
          `its end record lists ${stated.frames} frames and ${stated.contentSize} content bytes, but the archive that started at byte ${this.openAt} holds ${tally.frames} frames and ${tally.contentSize} bytes${stated.frames === tally.frames && stated.contentSize === tally.contentSize ? ' in another order or with other frames' : ''}`,
        );
      }
      this.open = null;
      this.offset += END_RECORD_SIZE;
      return { kind: 'end', at, size: END_RECORD_SIZE };
    }
    const header = parseFrameHeader(head, 0, false, at);
    if (header.version === LEGACY_FRAME_VERSION && this.open) {
      throw truncatedArchive(at, `a version-1 frame follows the archive that started at byte ${this.openAt} before its end record`);
    }
    if (header.version === FRAME_VERSION && !this.open) {
      this.open = new ArchiveTally();
      this.openAt = at;
    }
    this.pending = header;
    return { kind: 'frame', at, header, size: header.frameSize };
  }

  /** The whole frame whose header item() returned: count it in its archive. */
  frameDone(frame: Uint8Array): void {
    if (!this.pending || frame.length !== this.pending.frameSize) throw new Error('ArchiveReader: frameDone() without its frame');
    this.frameChecksum(storedChecksum(frame));
  }

  /** Same as frameDone(), for a reader that skipped the payload and read only the frame's last 8 bytes. */
  frameChecksum(checksum: bigint): void {
    const h = this.pending;
    if (!h) throw new Error('ArchiveReader: frameChecksum() without a frame');
    this.pending = null;
    this.open?.add(h.contentSize, checksum);
    this.frames++;
    this.contentSize += h.contentSize;
    this.offset += h.frameSize;
  }

  /**
   * The input ended. `rest` is what is left of it after the last whole item
   * (a partial header or frame); `present`, how many bytes that was, for a
   * reader that kept only part of them (a skipped payload). Throws
   * ERR_NNC_TRUNCATED for an empty input, a partial item, or an archive
   * whose end record is missing.
   */
  finish(rest: Uint8Array = new Uint8Array(0), present = rest.length): void {
    if (this.pending) {
      throw truncatedArchive(this.offset, `the frame there is cut short (${present} of ${this.pending.frameSize} bytes)`);
    }
    if (rest.length > 0) {
      // Less than a header: a frame header cut short reads as parseFrameHeader says it.
      if (this.headSize(rest) !== END_RECORD_SIZE) parseFrameHeader(rest, 0, true, this.offset);
      throw truncatedArchive(this.offset, `the end record is cut short (${rest.length} of ${END_RECORD_SIZE} bytes)`);
    }
    if (this.frames === 0) {
      throw new NncError(ErrorCodes.TRUNCATED, 'archive is empty: an .nnc archive holds at least one frame');
    }
    if (this.open) {
      throw truncatedArchive(this.offset, `the archive that started at byte ${this.openAt} ends after ${this.open.frames} frames without its end record`);
    }
  }
}

/**
 * Walk a whole archive held in memory: every item, checked. Yields each
 * frame (its bytes and header) in order; throws at the first damage, after
 * yielding the frames before it — the order a stream decoder meets them.
 */
export function* walkArchive(archive: Uint8Array, checkOrder = true): Generator<{ bytes: Uint8Array; header: FrameHeader; at: number }> {
  const r = new ArchiveReader(checkOrder);
  while (r.offset < archive.length) {
    const p = r.offset;
    const need = r.headSize(archive.subarray(p, p + 4));
    if (archive.length - p < need) break;
    const it = r.item(archive.subarray(p, p + need));
    if (it.kind === 'end') continue;
    if (archive.length - p < it.size) break;
    const bytes = archive.subarray(p, p + it.size);
    r.frameDone(bytes);
    yield { bytes, header: it.header, at: p };
  }
  r.finish(archive.subarray(r.offset));
}

/** Every frame of an archive in memory, all headers and end records checked (nothing decoded). */
export function splitArchive(archive: Uint8Array, checkOrder = true): { bytes: Uint8Array; header: FrameHeader; at: number }[] {
  return [...walkArchive(archive, checkOrder)];
}
