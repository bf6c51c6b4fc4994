/** Validation of the options every API call takes, in one message format. */
import { constants as bufferConstants } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { abortError, invalidArg } from './errors.js';
import { selectEngine } from './engine/select.js';
import type { Engine, EngineModel, EngineName } from './engine/types.js';
import { DEFAULT_FRAME_SIZE, DEFAULT_LANE_SIZE, MAX_FRAME_CONTENT, MAX_LANE_SIZE, METHOD_STORED } from './format/frame.js';
import { Model, resolveModel } from './model/model.js';

export interface CodecOptions {
  /** Path to a .nncm file, its bytes, or a loaded Model. Default: the bundled model. */
  model?: string | Uint8Array | Model;
  /** 'auto' (default, or the NNC_ENGINE variable), 'cpu', 'ts'. */
  engine?: 'auto' | EngineName;
  /** Threads per call (default: the machine's cores). */
  threads?: number;
  signal?: AbortSignal;
  /** Decompression: the most bytes of output a Buffer API may return (default: buffer.constants.MAX_LENGTH, as node:zlib). */
  maxOutputLength?: number;
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
}

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

function int(name: string, v: unknown, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw invalidArg(name, `an integer from ${lo} to ${hi}`, v);
  return v;
}

export function resolveOptions(o: CompressOptions | undefined): Resolved {
  if (o !== undefined && (typeof o !== 'object' || o === null)) throw invalidArg('options', 'an object', o);
  o = o ?? {};
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArg('signal', 'an AbortSignal', o.signal);
  return {
    engine: selectEngine(o.engine),
    threads: int('threads', o.threads, 1, 1024, availableParallelism()),
    laneSize: int('laneSize', o.laneSize, 1, MAX_LANE_SIZE, DEFAULT_LANE_SIZE),
    frameSize: int('frameSize', o.frameSize, 1, MAX_FRAME_CONTENT, DEFAULT_FRAME_SIZE),
    signal: o.signal,
    maxOutputLength: int('maxOutputLength', o.maxOutputLength, 1, MAX_LENGTH, MAX_LENGTH),
    modelOpt: o.model,
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
 * Buffer APIs and the streams agree (and so a model search path can hook in).
 */
export function modelForFrame(r: Resolved, h: { method: number; modelId: string }): EngineModel | null {
  if (h.method === METHOD_STORED) return null;
  return modelOf(r).for(r.engine);
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
