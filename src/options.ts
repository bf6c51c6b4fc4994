/** Validation of the options every API call takes, in one message format. */
import { constants as bufferConstants } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { delimiter } from 'node:path';
import { ErrorCodes, NncError, abortError, invalidArg } from './errors.js';
import { selectEngine } from './engine/select.js';
import type { Engine, EngineModel, EngineName } from './engine/types.js';
import { DEFAULT_FRAME_SIZE, DEFAULT_LANE_SIZE, MAX_FRAME_CONTENT, MAX_LANE_SIZE, METHOD_STORED } from './format/frame.js';
import { Model, defaultModelPath, resolveModel } from './model/model.js';
import { findModelById, modelSearchPath } from './model/search.js';

export interface CodecOptions {
  /** Path to a .nncm file, its bytes, or a loaded Model. Default: the bundled model. */
  model?: string | Uint8Array | Model;
  /** 'auto' (default, or the NNC_ENGINE variable), or an engine's name (src/engine/registry.ts; engineInfo() lists them). */
  engine?: 'auto' | EngineName;
  /** Threads per call (default: the machine's cores). */
  threads?: number;
  signal?: AbortSignal;
  /** Decompression: the most bytes of output a Buffer API may return (default: buffer.constants.MAX_LENGTH, as node:zlib). */
  maxOutputLength?: number;
  /**
   * Decompression: directories searched for a .nncm file whose model ID is
   * the one a frame names, when `model` is not that one (an array, or a
   * string separated like PATH). NNC_MODEL_PATH's directories come after.
   */
  modelPath?: string | readonly string[];
}

export interface CompressOptions extends CodecOptions {
  /** Bytes per rANS lane (default 65536). Smaller lanes: more parallelism, slightly larger output. */
  laneSize?: number;
  /** Content bytes per frame (default 4 MiB): the unit of streaming and of memory. */
  frameSize?: number;
}

export interface Resolved {
  engine: Engine;
  threads: number;
  laneSize: number;
  frameSize: number;
  signal?: AbortSignal;
  maxOutputLength: number;
  modelOpt: CompressOptions['model'];
  model?: Model;
  /** Directories searched for a model by ID (option, then NNC_MODEL_PATH). */
  modelPath: string[];
  /** Models found by ID during this call. */
  found?: Map<string, Model>;
}

/**
 * Every option any call accepts (a Record, so adding an option to the
 * interfaces without listing it here fails to compile): anything else is a
 * typo or a node:zlib habit (`level`), refused rather than silently ignored.
 * Decompression calls take the compression options too, as node:zlib does,
 * so one options object can serve both directions.
 */
const KNOWN: Record<keyof CompressOptions, true> = {
  model: true, engine: true, threads: true, signal: true, maxOutputLength: true, modelPath: true, laneSize: true, frameSize: true,
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
  return {
    engine: selectEngine(o.engine),
    threads: int('threads', o.threads, 1, 1024, availableParallelism()),
    laneSize: int('laneSize', o.laneSize, 1, MAX_LANE_SIZE, DEFAULT_LANE_SIZE),
    frameSize: int('frameSize', o.frameSize, 1, MAX_FRAME_CONTENT, DEFAULT_FRAME_SIZE),
    signal: o.signal,
    maxOutputLength: int('maxOutputLength', o.maxOutputLength, 1, MAX_LENGTH, MAX_LENGTH),
    modelOpt: o.model,
    modelPath: modelSearchPath(o.modelPath),
  };
}

/** The model, loaded on first need (stored-only archives never need one). */
export function modelOf(r: Resolved): Model {
  if (!r.model) r.model = resolveModel(r.modelOpt);
  return r.model;
}

/**
 * The model that decodes a frame whose header `h` names a model ID, or null
 * for a stored frame (which needs none). One place for this decision, so the
 * Buffer APIs and the streams agree: the given (or bundled) model if its ID
 * is the frame's, else a model with that ID from the search path, else
 * ERR_NNC_MODEL_MISMATCH saying how to supply it.
 */
export function modelForFrame(r: Resolved, h: { method: number; modelId: string }): EngineModel | null {
  if (h.method === METHOD_STORED) return null;
  const given = modelOf(r);
  if (given.id === h.modelId) return given.for(r.engine);
  r.found ??= new Map();
  let m = r.found.get(h.modelId);
  if (!m) {
    m = findModelById(h.modelId, r.modelPath);
    if (!m) throw modelMismatch(r, h.modelId, given);
    r.found.set(h.modelId, m);
  }
  return m.for(r.engine);
}

function modelMismatch(r: Resolved, wanted: string, given: Model): NncError {
  const which = r.modelOpt === undefined ? `the bundled model (${given.id}, ${defaultModelPath()})` : `the given model ${given.id}${given.path ? ` (${given.path})` : ''}`;
  const searched = r.modelPath.length > 0
    ? `no .nncm file in the model search path (${r.modelPath.join(delimiter)}) has that ID`
    : 'no model search path is set';
  return new NncError(
    ErrorCodes.MODEL_MISMATCH,
    `archive was made with model ${wanted}, not ${which}, and ${searched}; ` +
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
