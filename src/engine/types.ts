/**
 * The engine interface. Every engine (those of ./registry.ts) codes whole
 * frames (docs/FORMAT.md section 4.1) and MUST produce byte-identical frames
 * for the same (model, content, laneSize). Splitting input into frames,
 * walking concatenated frames and streams live in the facade, once, for all
 * engines.
 */
import type { MixParams } from '../format/mix-params.js';
import type { EngineName } from './registry.js';

export type { EngineName };

/**
 * A model as an engine holds it: what every engine hands to any other.
 * `id` is the 16-hex-digit model ID; `bytes` the .nncm file it was loaded
 * from, from which another engine loads its own copy when given this one.
 */
export interface EngineModel {
  readonly id: string;
  readonly engine: EngineName;
  readonly bytes: Uint8Array;
}

export interface FrameOptions {
  laneSize: number;
  /**
   * Method 2 (FORMAT.md section 5) with this parameter block; absent: method
   * 1 (the network alone). Either way a frame that would not shrink is stored.
   */
  mix?: MixParams;
  threads: number;
  /** Async calls only: cancels the job (see Engine). */
  signal?: AbortSignal;
}

export interface DecodeOptions {
  threads: number;
  /** Async calls only: cancels the job (see Engine). */
  signal?: AbortSignal;
}

export interface Engine {
  readonly name: EngineName;
  /** Parse and validate a .nncm file's bytes (throws NncError ERR_NNC_BAD_MODEL / UNSUPPORTED). */
  loadModel(bytes: Uint8Array): EngineModel;
  /** Encode one frame whose content is `content` (≤ 2^26 bytes). */
  compressFrame(model: EngineModel, content: Uint8Array, opts: FrameOptions): Uint8Array;
  /** Decode exactly one frame (`frame` holds the whole frame, nothing more). Model may be null for stored frames. */
  decompressFrame(model: EngineModel | null, frame: Uint8Array, opts: DecodeOptions): Uint8Array;
  /**
   * Same as above, off the main thread. When `opts.signal` aborts, the job
   * MUST stop (not merely be forgotten): the promise rejects with ABORT_ERR
   * once the engine no longer runs it or holds its buffers.
   */
  compressFrameAsync(model: EngineModel, content: Uint8Array, opts: FrameOptions): Promise<Uint8Array>;
  decompressFrameAsync(model: EngineModel | null, frame: Uint8Array, opts: DecodeOptions): Promise<Uint8Array>;
  /**
   * Optional: the full frequency table the coder uses for `content` cut into
   * lanes of `laneSize` (content.length rows of A, row i = position i), the
   * same on every engine that has it. For ideal code lengths in training
   * evaluation and for tests.
   */
  frequencies?(model: EngineModel, content: Uint8Array, laneSize: number): Uint32Array;
  /**
   * Optional: how many frames the facade and the streams keep in flight for
   * a call given `threads` (default 1). More frames let an engine see more
   * lanes at once; memory grows by one frame per frame in flight.
   */
  framesInFlight?(threads: number): number;
}
