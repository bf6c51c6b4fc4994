/**
 * Engine choice. `engine: 'auto'` (the default, or NNC_ENGINE) takes the
 * fastest engine that loads: cpu (native addon), else ts (always there).
 * Forcing an engine that cannot load is an error that says why.
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

let cpu: { engine?: Engine; error?: string } | undefined;

function cpuEngine(): { engine?: Engine; error?: string } {
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

export function resolveEngineChoice(choice: unknown): EngineChoice {
  const v = choice ?? process.env.NNC_ENGINE ?? 'auto';
  if (v === 'auto' || v === 'cpu' || v === 'ts' || v === 'cuda') return v;
  throw invalidArg(choice === undefined ? 'NNC_ENGINE' : 'engine', "'auto', 'cpu', 'ts' or 'cuda'", v);
}

export function selectEngine(choice?: unknown): Engine {
  const want = resolveEngineChoice(choice);
  if (want === 'ts') return tsEngine;
  if (want === 'cuda') throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, `engine 'cuda' is ${CUDA_REASON}; use engine 'cpu' or 'auto'`);
  const c = cpuEngine();
  if (c.engine) return c.engine;
  if (want === 'cpu') throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, `engine 'cpu' cannot load: ${c.error}`);
  return tsEngine;
}

export function engineInfo(): { selected: EngineName; engines: EngineStatus[] } {
  let selected: EngineName;
  try {
    selected = selectEngine().name;
  } catch {
    selected = 'ts';
  }
  return { selected, engines: engineStatus() };
}
