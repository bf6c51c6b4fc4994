/**
 * nnc-native: a neural-network lossless compressor.
 *
 *   const nnc = require('nnc-native');
 *   const packed = await nnc.compress(buf);          // bundled text model
 *   const back = await nnc.decompress(packed);
 *
 * Every engine (cpu addon, ts reference) writes the same bytes for the same
 * input and model, and reads the others' archives (docs/FORMAT.md).
 */
export { compress, decompress, compressSync, decompressSync, compressBatch, decompressBatch } from './api.js';
export { createCompressStream, createDecompressStream } from './stream.js';
export { inspect, type ArchiveInfo, type FrameInfo } from './inspect.js';
export { Model, loadModel, defaultModelPath, type ModelInfo } from './model/model.js';
export { engineInfo, type EngineStatus } from './engine/select.js';
export { NncError, ErrorCodes, isNncError, type ErrorCode } from './errors.js';
export type { CodecOptions, CompressOptions } from './options.js';
export type { EngineName } from './engine/types.js';
export { DEFAULT_FRAME_SIZE, DEFAULT_LANE_SIZE } from './format/frame.js';
