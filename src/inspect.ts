/** Walk an archive's frame headers and end records without decoding (for `nnc -l`): a cut archive throws ERR_NNC_TRUNCATED. */
import { splitArchive } from './format/archive.js';
import { type FrameHeader, isStored } from './format/frame.js';
import { toBytes } from './options.js';

export interface FrameInfo {
  method: 'stored' | 'neural';
  modelId: string;
  contentSize: number;
  laneSize: number;
  payloadSize: number;
  frameSize: number;
}

export interface ArchiveInfo {
  frames: FrameInfo[];
  contentSize: number;
  compressedSize: number;
}

export const frameInfo = (h: FrameHeader): FrameInfo => ({
  method: isStored(h) ? 'stored' : 'neural',
  modelId: h.modelId,
  contentSize: h.contentSize,
  laneSize: h.laneSize,
  payloadSize: h.payloadSize,
  frameSize: h.frameSize,
});

export function inspect(archive: Uint8Array): ArchiveInfo {
  const data = toBytes(archive, 'archive');
  const frames = splitArchive(data).map(({ header }) => frameInfo(header));
  return { frames, contentSize: frames.reduce((n, f) => n + f.contentSize, 0), compressedSize: data.length };
}
