/**
 * Engine choice, over the registry (./registry.ts). `engine: 'auto'` (the
 * default, or NNC_ENGINE) takes the first registered engine that loads.
 * Forcing an engine that cannot load is an error that says why, and so is an
 * invalid NNC_ENGINE or NNC_SIMD (ERR_NNC_INVALID_ARG): a typo never turns
 * into a silent fallback. engineInfo() still reports the reason.
 */
import { ErrorCodes, NncError, invalidArg } from '../errors.js';
import { ENGINES, engineChoices, isEngineName, probe, type EngineName } from './registry.js';
import type { Engine } from './types.js';

export type EngineChoice = 'auto' | EngineName;

export interface EngineStatus {
  name: EngineName;
  available: boolean;
  /** Why it is not available (or a note on what loaded). */
  reason?: string;
}

export function engineStatus(): EngineStatus[] {
  return ENGINES.map((e) => {
    const p = probe(e.name);
    if (!p.engine) return { name: e.name, available: false, reason: p.error };
    return p.entry.note ? { name: e.name, available: true, reason: p.entry.note } : { name: e.name, available: true };
  });
}

/** The `engine` option, else NNC_ENGINE (unset or empty: 'auto'); anything else is ERR_NNC_INVALID_ARG. */
export function resolveEngineChoice(choice: unknown): EngineChoice {
  const fromEnv = choice === undefined || choice === null;
  const v = fromEnv ? process.env.NNC_ENGINE || 'auto' : choice;
  if (v === 'auto' || isEngineName(v)) return v;
  throw invalidArg(fromEnv ? 'NNC_ENGINE' : 'engine', engineChoices(), v);
}

export function selectEngine(choice?: unknown): Engine {
  const want = resolveEngineChoice(choice);
  for (const e of ENGINES) {
    if (want !== 'auto' && want !== e.name) continue;
    const p = probe(e.name);
    if (p.engine) return p.engine;
    // A setting that cannot be honoured (NNC_SIMD) is the user's to fix, not a reason to run 100x slower.
    if (p.invalid) throw new NncError(ErrorCodes.INVALID_ARG, p.error!);
    if (want !== 'auto') throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, `engine '${want}' cannot load: ${p.error}`);
  }
  // Only when every registered engine failed ('ts' always loads, so never today).
  throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, `no engine loads: ${engineStatus().map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
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

/** The first engine that loads and computes frequency tables (training evaluation, ideal code lengths). */
export function frequencyEngine(): Engine & Required<Pick<Engine, 'frequencies'>> {
  for (const e of ENGINES) {
    const p = probe(e.name);
    if (p.engine?.frequencies) return p.engine as Engine & Required<Pick<Engine, 'frequencies'>>;
    // As selectEngine: an invalid NNC_SIMD is the user's to fix, not a silent move to a slower engine.
    if (p.invalid) throw new NncError(ErrorCodes.INVALID_ARG, p.error!);
  }
  throw new NncError(ErrorCodes.ENGINE_UNAVAILABLE, 'no engine computes frequency tables');
}
