/** Validation of the options every API call takes, in one message format. */
import { constants as bufferConstants } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { delimiter } from 'node:path';
import { ErrorCodes, NncError, abortError, invalidArg } from './errors.js';
import { selectEngine } from './engine/select.js';
import type { Engine, EngineModel, EngineName, FrameOptions } from './engine/types.js';
import {
  DEFAULT_FRAME_SIZE, DEFAULT_LANE_SIZE, FRAME_HEADER_SIZE, type FrameHeader, MAX_FRAME_CONTENT, MAX_LANE_SIZE, METHOD_MIXED, METHOD_STORED,
} from './format/frame.js';
import {
  DEFAULT_LEVEL, EXPERT_BITS, MAX_LEVEL, MIN_LEVEL, MIX_PARAMS_SIZE, type MixParams, fitToLane, levelParams, mixLaneSize, parseMixParams,
} from './format/mix-params.js';
import { candidateModels, bundledModelsDir } from './model/bundled.js';
import { chooseModel, chooseModelSync } from './model/choose.js';
import { Model, resolveModel } from './model/model.js';
import { findModelById, modelSearchPath } from './model/search.js';

export interface CodecOptions {
  /**
   * 'auto' (the default): per frame, the bundled model or search-path model
   * that codes a sample of the frame best (docs/FORMAT.md 4.3). Or one model
   * for every frame: a path to a .nncm file (a file named auto: './auto'),
   * its bytes, or a loaded Model. Decoding finds each frame's model by ID
   * among this one, the bundled models and the search path.
   */
  model?: 'auto' | string | Uint8Array | Model;
  /** 'auto' (default, or the NNC_ENGINE variable), or an engine's name (src/engine/registry.ts; engineInfo() lists them). */
  engine?: 'auto' | EngineName;
  /** Threads per call (default: the machine's cores). */
  threads?: number;
  signal?: AbortSignal;
  /** Decompression: the most bytes of output a Buffer API may return (default: buffer.constants.MAX_LENGTH, as node:zlib). */
  maxOutputLength?: number;
  /**
   * Directories of .nncm files (an array, or a string separated like PATH;
   * NNC_MODEL_PATH's directories come after): candidates of model 'auto'
   * beside the bundled models, and searched by ID when decoding a frame
   * whose model is not the given one.
   */
  modelPath?: string | readonly string[];
}

export interface CompressOptions extends CodecOptions {
  /**
   * 1 (the network alone, fastest) to 9 (every context-mixing expert, the
   * largest tables: best ratio, most time and memory); default 6. Levels 2..9
   * write method-2 frames (docs/FORMAT.md section 5). Decompression ignores
   * it: every archive says how it was made.
   */
  level?: number;
  /**
   * Bytes per independently coded lane. Default: 65536 at level 1; at levels
   * 2..9, half the frame's content and at least 1 MiB (the adaptive stage
   * learns within its lane only). Smaller lanes: more parallelism, larger output.
   */
  laneSize?: number;
  /** Content bytes per frame (default 4 MiB): the unit of streaming and of memory. */
  frameSize?: number;
}

export interface Resolved {
  engine: Engine;
  threads: number;
  level: number;
  /** Method 2's parameter block for `level`; undefined at level 1 (method 1). */
  mix?: MixParams;
  /** The laneSize option; undefined: chosen per frame by the level (frameOptions). */
  laneSize?: number;
  frameSize: number;
  signal?: AbortSignal;
  maxOutputLength: number;
  modelOpt: CompressOptions['model'];
  /** The given model (never set for 'auto'). */
  model?: Model;
  /** Directories searched for a model by ID (option, then NNC_MODEL_PATH). */
  modelPath: string[];
  /** The bundled models' directory (src/model/bundled.ts). */
  bundledDir: string;
  /** model 'auto': the candidates, listed on first need. */
  candidates?: Model[];
  /** Models found by ID during this call. */
  found?: Map<string, Model>;
}

/**
 * Every option any call accepts (a Record, so adding an option to the
 * interfaces without listing it here fails to compile): anything else is a
 * typo or a node:zlib habit (`windowBits`, `strategy`), refused rather than silently ignored.
 * Decompression calls take the compression options too, as node:zlib does,
 * so one options object can serve both directions.
 */
const KNOWN: Record<keyof CompressOptions, true> = {
  model: true, engine: true, threads: true, signal: true, maxOutputLength: true, modelPath: true, level: true, laneSize: true, frameSize: true,
};
const KNOWN_OPTIONS = Object.keys(KNOWN);

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

function int(name: string, v: unknown, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw invalidArg(name, `an integer from ${lo} to ${hi}`, v);
  return v;
}

export function resolveOptions(o: CompressOptions | undefined): Resolved {
  if (o !== undefined && (typeof o !== 'object' || o === null)) throw invalidArg('options', 'an object', o);
  o = o ?? {};
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      throw new NncError(ErrorCodes.INVALID_ARG, `unknown option ${JSON.stringify(key)}; the options are ${KNOWN_OPTIONS.join(', ')}`);
    }
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArg('signal', 'an AbortSignal', o.signal);
  // Checked in both directions, as node:zlib checks its level when decompressing too.
  const level = int('level', o.level, MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL);
  return {
    engine: selectEngine(o.engine),
    threads: int('threads', o.threads, 1, 1024, availableParallelism()),
    level,
    mix: levelParams(level) ?? undefined,
    laneSize: o.laneSize === undefined ? undefined : int('laneSize', o.laneSize, 1, MAX_LANE_SIZE, DEFAULT_LANE_SIZE),
    frameSize: int('frameSize', o.frameSize, 1, MAX_FRAME_CONTENT, DEFAULT_FRAME_SIZE),
    signal: o.signal,
    maxOutputLength: int('maxOutputLength', o.maxOutputLength, 1, MAX_LENGTH, MAX_LENGTH),
    modelOpt: o.model,
    modelPath: modelSearchPath(o.modelPath),
    bundledDir: bundledModelsDir(),
  };
}

/**
 * What the engine is told for one frame of `contentSize` bytes: the level's
 * method and parameter block, and the lane size (the option's, else the
 * level's). Method 2's writer lanes are half the frame (two cores share it),
 * at least 1 MiB, and at most the format's 2^24: a frame of up to 2^26
 * bytes (frameSize) would otherwise ask for lanes the format refuses.
 */
export function frameOptions(r: Resolved, contentSize: number, signal = r.signal): FrameOptions {
  const laneSize = r.laneSize ?? (r.mix ? mixLaneSize(contentSize) : DEFAULT_LANE_SIZE);
  // Tables sized to the largest lane of this frame (fitToLane): small inputs do not fill tens of MiB.
  return r.mix
    ? { laneSize, mix: fitToLane(r.mix, Math.min(laneSize, contentSize)), threads: r.threads, signal }
    : { laneSize, threads: r.threads, signal };
}

/** Whether the model is chosen per frame (the option is absent or 'auto'). */
export const isAuto = (r: Pick<Resolved, 'modelOpt'>): boolean => r.modelOpt === undefined || r.modelOpt === 'auto';

/** The given model, loaded on first need (stored-only archives never need one); undefined for 'auto'. */
export function givenModel(r: Resolved): Model | undefined {
  if (isAuto(r)) return undefined;
  if (!r.model) r.model = resolveModel(r.modelOpt as Exclude<CompressOptions['model'], 'auto'>);
  return r.model;
}

/** model 'auto': the bundled models and those of the search path, by ID (an error when there are none). */
export function candidatesOf(r: Resolved): Model[] {
  if (!r.candidates) {
    const c = candidateModels(r.bundledDir, r.modelPath);
    if (c.length === 0) {
      throw new NncError(
        ErrorCodes.INVALID_ARG,
        `no model to choose from: no .nncm file in the bundled models' directory (${r.bundledDir})` +
          `${r.modelPath.length > 0 ? ` or the model search path (${r.modelPath.join(delimiter)})` : ''}; ` +
          'pass a model (-m MODEL, or the model option), or list a directory of models in NNC_MODEL_PATH (or --model-path)',
      );
    }
    r.candidates = c;
  }
  return r.candidates;
}

/** The model frame `content` is written with: the given one, or the choice among the candidates (model/choose.ts). */
export function modelForContent(r: Resolved, content: Uint8Array): EngineModel {
  const given = givenModel(r);
  return (given ?? chooseModelSync(r.engine, candidatesOf(r), content, r.mix, r.threads)).for(r.engine);
}

/** modelForContent off the main thread; `signal` cancels the choice's sample jobs. */
export async function modelForContentAsync(r: Resolved, content: Uint8Array, signal = r.signal): Promise<EngineModel> {
  const given = givenModel(r);
  return (given ?? (await chooseModel(r.engine, candidatesOf(r), content, r.mix, r.threads, signal))).for(r.engine);
}

/**
 * Whether decoding a frame needs its model: not for a stored frame, nor for a
 * method-2 frame whose parameter block leaves the network out (FORMAT.md
 * 5.1: its model ID is informational then). `frame` holds at least the
 * header and the parameter block; `at` is its archive offset, for messages
 * (a damaged block is reported here, as the engine would).
 */
export function frameNeedsModel(h: Pick<FrameHeader, 'method'>, frame: Uint8Array, at: number): boolean {
  if (h.method === METHOD_STORED) return false;
  if (h.method !== METHOD_MIXED) return true;
  const block = frame.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + MIX_PARAMS_SIZE);
  return (parseMixParams(block, at).mask & EXPERT_BITS.net) !== 0;
}

/**
 * The model that decodes frame `f` (its header names a model ID), or null
 * when it needs none (frameNeedsModel). One place for this decision, so the
 * Buffer APIs and the streams agree: the given model if its ID is the
 * frame's, else the first with that ID among the bundled models and then
 * the search path, else ERR_NNC_MODEL_MISMATCH saying where it looked and
 * how to supply it.
 */
export function modelForFrame(r: Resolved, f: { header: FrameHeader; bytes: Uint8Array; at: number }): EngineModel | null {
  const h = f.header;
  if (!frameNeedsModel(h, f.bytes, f.at)) return null;
  const given = givenModel(r);
  if (given?.id === h.modelId) return given.for(r.engine);
  r.found ??= new Map();
  let m = r.found.get(h.modelId);
  if (!m) {
    // The bundled models always, then the search path: archives written with 'auto' decode with no model given.
    m = findModelById(h.modelId, [r.bundledDir, ...r.modelPath]);
    if (!m) throw modelMismatch(r, h.modelId, given);
    r.found.set(h.modelId, m);
  }
  return m.for(r.engine);
}

function modelMismatch(r: Resolved, wanted: string, given: Model | undefined): NncError {
  const which = given ? `, not the given model ${given.id}${given.path ? ` (${given.path})` : ''},` : '';
  const searched = r.modelPath.length > 0
    ? `no .nncm file in the bundled models' directory (${r.bundledDir}) or the model search path (${r.modelPath.join(delimiter)}) has that ID`
    : `no .nncm file in the bundled models' directory (${r.bundledDir}) has that ID and no model search path is set`;
  return new NncError(
    ErrorCodes.MODEL_MISMATCH,
    `archive was made with model ${wanted}${which} and ${searched}; ` +
      `pass the model it was compressed with (-m MODEL, or the model option), or list the directory holding it in ` +
      `NNC_MODEL_PATH (or --model-path DIRS, or the modelPath option)`,
  );
}

/**
 * A frame whose model ID matched decoded to content failing its checksum:
 * usually damage, but model IDs are XXH64 hashes, not collision-resistant,
 * so a different model with the same ID is possible. Decoders pass such
 * errors through here to say so (stored frames need no model and are left
 * as they are).
 */
export function explainChecksum(e: unknown, h: { method: number; modelId: string }): unknown {
  if (e instanceof NncError && e.code === ErrorCodes.CHECKSUM && h.method !== METHOD_STORED && !e.message.includes('same ID')) {
    e.message += ` (if the archive is otherwise intact, the model may be the wrong one: the frame names model ${h.modelId} by an XXH64 ID, and a different model can have the same ID)`;
  }
  return e;
}

export function toBytes(input: unknown, name = 'input'): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw invalidArg(name, 'a Buffer, Uint8Array, ArrayBuffer or string', input);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal.reason);
}
