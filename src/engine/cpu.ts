/**
 * The cpu engine: the C++ core (native/) through the node-addon-api addon,
 * loaded by src/native/addon.ts (build/Release/nnc.node or prebuilds/).
 * Same frames as the ts reference, byte for byte; the SIMD level
 * (scalar, avx2, avx512) is picked at run time and can be forced with the
 * `simd` option of createCpuEngine or the NNC_SIMD environment variable, so
 * every variant can be compared on one machine. An NNC_SIMD this machine
 * cannot honour is an error (ERR_NNC_INVALID_ARG), never a fallback.
 *
 * Nothing here throws at import time; createCpuEngine() throws an NncError
 * saying why the addon could not be used and what to do.
 */
import { ErrorCodes, NncError, abortError, fromNative, invalidArg } from '../errors.js';
import { loadAddon } from '../native/addon.js';
import type { MixParams } from '../format/mix-params.js';
import type { DecodeOptions, Engine, EngineModel, FrameOptions } from './types.js';

export type SimdLevel = 'auto' | 'scalar' | 'avx2' | 'avx512';

export interface CpuFeatures {
  avx2: boolean;
  avx512: boolean;
  /** The level 'auto' uses on this machine. */
  best: Exclude<SimdLevel, 'auto'>;
}

/** The addon's opaque model object. */
interface NativeModel {
  readonly id: string;
  readonly info: { k: number; E: number; A: number; T: number; hidden: number[] };
}

type Callback = (err: Error | null, out?: Buffer) => void;
/** Returned by the async calls: stops the job (it then calls back with ABORT_ERR). */
type Cancel = () => void;

/** What native/addon/addon.cc exports. */
export interface NativeAddon {
  loadModel(bytes: Uint8Array): NativeModel;
  /** mix: method 2's parameter block (FORMAT.md 5.1); null or absent: method 1. */
  compressFrame(model: NativeModel, content: Uint8Array, laneSize: number, threads: number, simd: SimdLevel, mix?: MixParams | null): Buffer;
  decompressFrame(model: NativeModel | null, frame: Uint8Array, threads: number, simd: SimdLevel): Buffer;
  compressFrameAsync(model: NativeModel, content: Uint8Array, laneSize: number, threads: number, simd: SimdLevel, mix: MixParams | null, cb: Callback): Cancel;
  decompressFrameAsync(model: NativeModel | null, frame: Uint8Array, threads: number, simd: SimdLevel, cb: Callback): Cancel;
  frequencies(model: NativeModel, content: Uint8Array, laneSize: number, simd: SimdLevel): Uint32Array;
  cpuFeatures(): CpuFeatures;
  xxh64(data: Uint8Array): string;
  /** Frame jobs queued or running (0 once every callback has run). */
  activeJobs(): number;
}

/** An EngineModel of the cpu engine: carries the native handle (and, as every EngineModel, a copy of the file). */
export interface CpuEngineModel extends EngineModel {
  readonly engine: 'cpu';
  readonly native: NativeModel;
}

const SIMD_LEVELS: readonly SimdLevel[] = ['auto', 'scalar', 'avx2', 'avx512'];
const MAX_LANE = 2 ** 24;
const MAX_THREADS = 1024;

/** The addon's codec exports (src/native/addon.ts loads it, once, for every user); never throws. */
export function cpuAddon(): { addon?: NativeAddon; error?: string } {
  const { addon, error } = loadAddon();
  return addon ? { addon: addon.exports as unknown as NativeAddon } : { error };
}

/** CPU features as the addon sees them, or null where the addon does not load. */
export function cpuFeatures(): CpuFeatures | null {
  const a = cpuAddon().addon;
  return a ? a.cpuFeatures() : null;
}

function checkSimd(a: NativeAddon, simd: unknown, name: string): SimdLevel {
  if (typeof simd !== 'string' || !SIMD_LEVELS.includes(simd as SimdLevel)) {
    throw invalidArg(name, "'auto', 'scalar', 'avx2' or 'avx512'", simd);
  }
  const f = a.cpuFeatures();
  if ((simd === 'avx2' && !f.avx2) || (simd === 'avx512' && !f.avx512)) {
    throw new NncError(
      ErrorCodes.UNSUPPORTED,
      `${name} asks for ${simd} but this CPU (or build) lacks it (best here: ${f.best}); use 'auto' or a lower level`,
    );
  }
  return simd as SimdLevel;
}

/**
 * NNC_SIMD, checked: undefined when unset or empty, else a level this
 * machine has. Anything else is ERR_NNC_INVALID_ARG, never a silent
 * fallback: a typo would otherwise measure or ship the wrong kernels.
 */
export function simdFromEnv(f: CpuFeatures): SimdLevel | undefined {
  const v = process.env.NNC_SIMD;
  if (v === undefined || v === '') return undefined;
  const here = ['scalar', ...(f.avx2 ? ['avx2'] : []), ...(f.avx512 ? ['avx512'] : [])];
  const listed = here.map((l) => `'${l}'`).join(', ');
  if (!SIMD_LEVELS.includes(v as SimdLevel)) {
    throw new NncError(
      ErrorCodes.INVALID_ARG,
      `${invalidArg('NNC_SIMD', "'scalar', 'avx2', 'avx512' or 'auto'", v).message}; ` +
        `this CPU has ${listed} (unset NNC_SIMD to use the best, ${f.best})`,
    );
  }
  if (v !== 'auto' && !here.includes(v)) {
    throw new NncError(
      ErrorCodes.INVALID_ARG,
      `NNC_SIMD is "${v}" but this CPU (or build) lacks ${v}; accepted here: ${listed} or 'auto' (unset NNC_SIMD to use the best, ${f.best})`,
    );
  }
  return v as SimdLevel;
}

function checkBytes(v: unknown, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw invalidArg(name, 'a Uint8Array', v);
  return v;
}

function checkInt(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw invalidArg(name, `an integer from ${lo} to ${hi}`, v);
  }
  return v;
}

// Models loaded by another engine (e.g. the ts one) are loaded natively once
// from their declared bytes, so a facade can hand any EngineModel to any engine.
/**
 * FrameOptions.mix as the addon takes it: the block's five fields only, or
 * null (method 1). The addon checks them (integers, then the combination,
 * as parseMixParams would) and throws ERR_NNC_INVALID_ARG.
 */
function mixOf(mix: MixParams | undefined): MixParams | null {
  if (mix === undefined || mix === null) return null;
  if (typeof mix !== 'object') throw invalidArg('mix', 'a method-2 parameter block { mask, hb, mb, a2b, level }', mix);
  return { mask: mix.mask, hb: mix.hb, mb: mix.mb, a2b: mix.a2b, level: mix.level };
}

const foreign = new WeakMap<object, CpuEngineModel>();

function nativeOf(a: NativeAddon, model: unknown, allowNull: boolean): NativeModel | null {
  if (model === null || model === undefined) {
    if (allowNull) return null;
    throw invalidArg('model', 'a model', model);
  }
  const m = model as Partial<CpuEngineModel>;
  if (m.engine === 'cpu' && m.native) return m.native;
  // Checked, not trusted: the model comes from the caller's JS.
  if (typeof model === 'object' && m.bytes instanceof Uint8Array) {
    let c = foreign.get(model);
    if (!c) {
      c = wrapModel(a, m.bytes);
      foreign.set(model, c);
    }
    return c.native;
  }
  throw invalidArg('model', 'a model loaded by an nnc engine', model);
}

function wrapModel(a: NativeAddon, bytes: Uint8Array): CpuEngineModel {
  let native: NativeModel;
  try {
    native = a.loadModel(bytes);
  } catch (e) {
    throw fromNative(e);
  }
  return { id: native.id, engine: 'cpu', native, bytes: Uint8Array.from(bytes) };
}

/**
 * Start a native async job and settle with its result. An abort of `signal`
 * calls the job's cancel function; the native side stops within one batch
 * and calls back with ABORT_ERR after its buffers are freed, so the promise
 * settles only once the job is really gone.
 */
function runAsync(start: (cb: Callback) => Cancel, signal: AbortSignal | undefined, stack: Error): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    try {
      if (signal?.aborted) throw abortError(signal.reason);
      let cancel: Cancel | undefined;
      const onAbort = (): void => cancel?.();
      cancel = start((err, out) => {
        signal?.removeEventListener('abort', onAbort);
        if (!err) resolve(out!);
        else if ((err as { code?: string }).code === ErrorCodes.ABORTED) reject(fromNative(abortError(signal?.reason), stack));
        else reject(fromNative(err, stack));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    } catch (e) {
      reject(fromNative(e, stack));
    }
  });
}

/**
 * A cpu engine bound to one SIMD level (default: NNC_SIMD, else 'auto'): the
 * registry's load() for 'cpu' (./registry.ts).
 * Throws NncError when the addon does not load (ERR_NNC_ENGINE_UNAVAILABLE,
 * the message saying why each binary failed and what to do),
 * the `simd` option asks for a missing level (ERR_NNC_UNSUPPORTED) or
 * NNC_SIMD is invalid here (ERR_NNC_INVALID_ARG).
 */
export function createCpuEngine(opts: { simd?: SimdLevel } = {}): Engine & {
  readonly simd: SimdLevel;
  frequencies(model: EngineModel, content: Uint8Array, laneSize: number): Uint32Array;
} {
  const { addon: a, error } = cpuAddon();
  if (!a) throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, error!);
  const simd = opts.simd !== undefined ? checkSimd(a, opts.simd, 'simd') : (simdFromEnv(a.cpuFeatures()) ?? 'auto');

  return {
    name: 'cpu',
    simd,
    loadModel(bytes: Uint8Array): EngineModel {
      return wrapModel(a, checkBytes(bytes, 'model'));
    },
    compressFrame(model: EngineModel, content: Uint8Array, o: FrameOptions): Uint8Array {
      const m = nativeOf(a, model, false)!;
      checkBytes(content, 'content');
      const lane = checkInt(o?.laneSize, 'laneSize', 1, MAX_LANE);
      const threads = checkInt(o?.threads, 'threads', 0, MAX_THREADS);
      try {
        return a.compressFrame(m, content, lane, threads, simd, mixOf(o?.mix));
      } catch (e) {
        throw fromNative(e);
      }
    },
    decompressFrame(model: EngineModel | null, frame: Uint8Array, o: DecodeOptions): Uint8Array {
      const m = nativeOf(a, model, true);
      checkBytes(frame, 'frame');
      const threads = checkInt(o?.threads, 'threads', 0, MAX_THREADS);
      try {
        return a.decompressFrame(m, frame, threads, simd);
      } catch (e) {
        throw fromNative(e);
      }
    },
    compressFrameAsync(model: EngineModel, content: Uint8Array, o: FrameOptions): Promise<Uint8Array> {
      const stack = new Error();
      return runAsync(
        (cb) => {
          const m = nativeOf(a, model, false)!;
          checkBytes(content, 'content');
          const lane = checkInt(o?.laneSize, 'laneSize', 1, MAX_LANE);
          const threads = checkInt(o?.threads, 'threads', 0, MAX_THREADS);
          return a.compressFrameAsync(m, content, lane, threads, simd, mixOf(o?.mix), cb);
        },
        o?.signal,
        stack,
      );
    },
    decompressFrameAsync(model: EngineModel | null, frame: Uint8Array, o: DecodeOptions): Promise<Uint8Array> {
      const stack = new Error();
      return runAsync(
        (cb) => {
          const m = nativeOf(a, model, true);
          checkBytes(frame, 'frame');
          const threads = checkInt(o?.threads, 'threads', 0, MAX_THREADS);
          return a.decompressFrameAsync(m, frame, threads, simd, cb);
        },
        o?.signal,
        stack,
      );
    },
    // Each frame job already spreads its lanes over `threads` native threads;
    // a second frame in flight keeps them busy while the facade hands one
    // frame's result on and queues the next.
    framesInFlight: (): number => 2,
    frequencies(model: EngineModel, content: Uint8Array, laneSize: number): Uint32Array {
      const m = nativeOf(a, model, false)!;
      checkBytes(content, 'content');
      const lane = checkInt(laneSize, 'laneSize', 1, MAX_LANE);
      try {
        return a.frequencies(m, content, lane, simd);
      } catch (e) {
        throw fromNative(e);
      }
    },
  };
}
