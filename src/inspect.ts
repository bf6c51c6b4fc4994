/** Walk an archive's frame headers without decoding (for `nnc -l`). */
import { parseFrameHeader } from './format/frame.js';
import { splitFrames } from './api.js';
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

export function inspect(archive: Uint8Array): ArchiveInfo {
  const data = toBytes(archive, 'archive');
  const frames = splitFrames(data).map((f): FrameInfo => {
    const h = parseFrameHeader(f, 0);
    return {
      method: h.method === 0 ? 'stored' : 'neural',
      modelId: h.modelId,
      contentSize: h.contentSize,
      laneSize: h.laneSize,
      payloadSize: h.payloadSize,
      frameSize: h.frameSize,
    };
  });
  return { frames, contentSize: frames.reduce((n, f) => n + f.contentSize, 0), compressedSize: data.length };
}
