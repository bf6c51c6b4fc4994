/**
 * Engine choice. `engine: 'auto'` (the default, or NNC_ENGINE) takes the
 * fastest engine that loads: cpu (native addon), else ts (always there).
 * Forcing an engine that cannot load is an error that says why, and so is an
 * invalid NNC_ENGINE or NNC_SIMD (ERR_NNC_INVALID_ARG): a typo never turns
 * into a silent fallback. engineInfo() still reports the reason.
 */
import { ErrorCodes, NncError, invalidArg } from '../errors.js';
import { loadCpuEngine } from './cpu.js';
import { tsEngine } from './ts/index.js';
import type { Engine, EngineName } from './types.js';

export type EngineChoice = 'auto' | EngineName;

export interface EngineStatus {
  name: EngineName;
  available: boolean;
  /** Why it is not available (or a note on what loaded). */
  reason?: string;
}

let cpu: { engine?: Engine; error?: string; invalid?: boolean } | undefined;

function cpuEngine(): { engine?: Engine; error?: string; invalid?: boolean } {
  if (!cpu) {
    // The addon is loaded on first need; a broken addon never stops the ts engine.
    try {
      cpu = loadCpuEngine();
    } catch (e) {
      cpu = { error: `the cpu engine failed to load: ${(e as Error).message}` };
    }
  }
  return cpu;
}

const CUDA_REASON = 'not built: the CUDA engine is not part of this build (it needs an NVIDIA GPU, the CUDA toolkit and cuBLAS)';

export function engineStatus(): EngineStatus[] {
  const c = cpuEngine();
  return [
    { name: 'cuda', available: false, reason: CUDA_REASON },
    c.engine ? { name: 'cpu', available: true } : { name: 'cpu', available: false, reason: c.error },
    { name: 'ts', available: true, reason: 'the reference engine: always available, slow' },
  ];
}

/** The `engine` option, else NNC_ENGINE (unset or empty: 'auto'); anything else is ERR_NNC_INVALID_ARG. */
export function resolveEngineChoice(choice: unknown): EngineChoice {
  const fromEnv = choice === undefined || choice === null;
  const v = fromEnv ? process.env.NNC_ENGINE || 'auto' : choice;
  if (v === 'auto' || v === 'cpu' || v === 'ts' || v === 'cuda') return v;
  throw invalidArg(fromEnv ? 'NNC_ENGINE' : 'engine', "'auto', 'cpu', 'ts' or 'cuda'", v);
}

export function selectEngine(choice?: unknown): Engine {
  const want = resolveEngineChoice(choice);
  if (want === 'ts') return tsEngine;
  if (want === 'cuda') throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, `engine 'cuda' is ${CUDA_REASON}; use engine 'cpu' or 'auto'`);
  const c = cpuEngine();
  if (c.engine) return c.engine;
  // A setting that cannot be honoured (NNC_SIMD) is the user's to fix, not a reason to run 100x slower.
  if (c.invalid) throw new NncError(ErrorCodes.INVALID_ARG, c.error!);
  if (want === 'cpu') throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, `engine 'cpu' cannot load: ${c.error}`);
  return tsEngine;
}

/**
 * What the default selection (no `engine` option: NNC_ENGINE, else 'auto')
 * picks, and every engine's status. Never throws: where that selection is an
 * error (an invalid NNC_ENGINE or NNC_SIMD), `error` holds its message (the
 * codecs throw it as ERR_NNC_INVALID_ARG) and `selected` is 'ts', the only
 * engine that needs no setting.
 */
export function engineInfo(): { selected: EngineName; engines: EngineStatus[]; error?: string } {
  try {
    return { selected: selectEngine().name, engines: engineStatus() };
  } catch (e) {
    return { selected: 'ts', engines: engineStatus(), error: (e as Error).message };
  }
}
