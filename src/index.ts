// The public declarations use Buffer, AbortSignal and stream types: this
// directive (kept in dist/index.d.ts by `preserve`) loads Node's types for
// consumers whose tsconfig lists none (`"types": []`, TypeScript 7's default).
/// <reference types="node" preserve="true" />
/**
 * nnc-native: a neural-network lossless compressor.
 *
 *   const nnc = require('nnc-native');
 *   const packed = await nnc.compress(buf);          // per frame, the bundled model that fits best
 *   const back = await nnc.decompress(packed);
 *
 * Every engine (cpu addon, ts reference) writes the same bytes for the same
 * input and model, and reads the others' archives (docs/FORMAT.md).
 */
export { compressSync, decompressSync, compressBatch, decompressBatch } from './api.js';
export { compress, decompress, type Callback } from './callback.js';
export { createCompressStream, createDecompressStream } from './stream.js';
export { inspect, type ArchiveInfo, type FrameInfo } from './inspect.js';
export { Model, loadModel, defaultModelPath, type ModelInfo } from './model/model.js';
export { bundledModels, bundledModelsDir } from './model/bundled.js';
export { engineInfo, type EngineStatus } from './engine/select.js';
export { NncError, ErrorCodes, isNncError, type ErrorCode } from './errors.js';
export type { CodecOptions, CompressOptions } from './options.js';
export type { EngineName } from './engine/types.js';
export { DEFAULT_FRAME_SIZE, DEFAULT_LANE_SIZE } from './format/frame.js';
export { DEFAULT_LEVEL, MIN_LEVEL, MAX_LEVEL, type ExpertName } from './format/mix-params.js';
