/** Walk an archive's frame headers and end records without decoding (for `nnc -l`): a cut archive throws ERR_NNC_TRUNCATED. */
import { splitArchive } from './format/archive.js';
import { FRAME_HEADER_SIZE, type FrameHeader, METHOD_MIXED, METHOD_NEURAL, METHOD_STORED } from './format/frame.js';
import { EXPERT_BITS, type ExpertName, MIX_PARAMS_SIZE, expertNames, parseMixParams } from './format/mix-params.js';
import { toBytes } from './options.js';

export interface FrameInfo {
  /** stored (as is), neural (method 1: the network alone, level 1) or mixed (method 2: levels 2..9). */
  method: 'stored' | 'neural' | 'mixed';
  /**
   * The level that wrote the frame: 1 for a neural frame, the one its
   * parameter block names for a mixed frame (0: a writer that named none),
   * null for a stored frame (any level stores what does not shrink).
   */
  level: number | null;
  /** Mixed frames: the experts the stage uses, in the experts mask's order (docs/FORMAT.md 5.1). */
  experts?: ExpertName[];
  /** Mixed frames: log2 of the table sizes (hashed-context buckets, match-table entries, APM2 contexts; 0 for an expert that is off). */
  tables?: { hb: number; mb: number; a2b: number };
  /** Whether decoding needs the model the frame names (stored frames, and mixed ones without the network, do not). */
  needsModel: boolean;
  modelId: string;
  contentSize: number;
  laneSize: number;
  /** Independently coded lanes (0 for a stored frame). */
  lanes: number;
  payloadSize: number;
  frameSize: number;
}

export interface ArchiveInfo {
  frames: FrameInfo[];
  contentSize: number;
  compressedSize: number;
}

/**
 * What a frame says about itself: its header and, for a mixed frame, the
 * parameter block (the payload's first 8 bytes, validated as a decoder
 * would; `at` is the frame's archive offset, for messages).
 */
export function frameInfo(h: FrameHeader, block?: Uint8Array, at = 0): FrameInfo {
  const common = {
    modelId: h.modelId,
    contentSize: h.contentSize,
    laneSize: h.laneSize,
    lanes: h.method === METHOD_STORED ? 0 : Math.ceil(h.contentSize / h.laneSize),
    payloadSize: h.payloadSize,
    frameSize: h.frameSize,
  };
  if (h.method === METHOD_STORED) return { method: 'stored', level: null, needsModel: false, ...common };
  if (h.method === METHOD_NEURAL) return { method: 'neural', level: 1, needsModel: true, ...common };
  if (!block) throw new Error('frameInfo: a mixed frame needs its parameter block');
  const p = parseMixParams(block, at);
  return {
    method: 'mixed',
    level: p.level,
    experts: expertNames(p.mask),
    tables: { hb: p.hb, mb: p.mb, a2b: p.a2b },
    needsModel: (p.mask & EXPERT_BITS.net) !== 0,
    ...common,
  };
}

/** How many payload bytes frameInfo() needs after the header: the parameter block of a mixed frame. */
export const infoBytes = (h: Pick<FrameHeader, 'method'>): number => (h.method === METHOD_MIXED ? MIX_PARAMS_SIZE : 0);

export function inspect(archive: Uint8Array): ArchiveInfo {
  const data = toBytes(archive, 'archive');
  const frames = splitArchive(data).map(({ header, bytes, at }) =>
    frameInfo(header, bytes.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + infoBytes(header)), at),
  );
  return { frames, contentSize: frames.reduce((n, f) => n + f.contentSize, 0), compressedSize: data.length };
}
