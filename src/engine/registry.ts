/**
 * Every engine, in preference order: the one list from which the engine
 * names, the `engine` option and NNC_ENGINE, the CLI's --engine, engineInfo(),
 * training evaluation and the tests' engine matrix all derive. Adding an
 * engine is one entry here plus its own files (src/engine/README.md).
 *
 * An entry's load() returns the engine or throws an NncError saying why it
 * cannot: ERR_NNC_ENGINE_UNAVAILABLE when it is not there (not built, no
 * device; 'auto' then takes the next entry), ERR_NNC_INVALID_ARG when a
 * setting cannot be honoured (an invalid NNC_SIMD: the user's to fix, never
 * a reason to fall back and run 100x slower).
 */
import { ErrorCodes, NncError } from '../errors.js';
import { createCpuEngine } from './cpu.js';
import { tsEngine } from './ts/index.js';
import type { Engine } from './types.js';

export interface EngineEntry {
  readonly name: string;
  /** For help texts: what the engine is. */
  readonly summary: string;
  /** Said of it when it loads (engineInfo()'s `reason` for an available engine). */
  readonly note?: string;
  load(): Engine;
}

export const ENGINES = [
  {
    name: 'cuda',
    summary: 'the GPU engine',
    load: (): Engine => {
      throw new NncError(
        ErrorCodes.ENGINE_UNAVAILABLE,
        'not built: the CUDA engine is not part of this build (it needs an NVIDIA GPU, the CUDA toolkit and cuBLAS)',
      );
    },
  },
  { name: 'cpu', summary: 'the native addon', load: (): Engine => createCpuEngine() },
  { name: 'ts', summary: 'the TypeScript reference; slow', note: 'the reference engine: always available, slow', load: (): Engine => tsEngine },
] as const satisfies readonly EngineEntry[];

export type EngineName = (typeof ENGINES)[number]['name'];

export const ENGINE_NAMES: readonly EngineName[] = ENGINES.map((e) => e.name);

export function isEngineName(v: unknown): v is EngineName {
  return (ENGINE_NAMES as readonly unknown[]).includes(v);
}

/** 'a', 'b' or 'c': the accepted values of an engine setting, quoted, for messages. */
export function engineChoices(quote = "'"): string {
  const all = ['auto', ...ENGINE_NAMES].map((n) => `${quote}${n}${quote}`);
  return `${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}`;
}

/** One load attempt's outcome, kept for the process (an engine is loaded on first need, once). */
export interface Probe {
  readonly entry: EngineEntry & { readonly name: EngineName };
  readonly engine?: Engine;
  /** Why it is unavailable (the load error's message). */
  readonly error?: string;
  /** The reason is a setting the user must fix, not an absent engine. */
  readonly invalid?: boolean;
}

const probes = new Map<EngineName, Probe>();

/** Load `name` on first need; never throws (a broken engine never stops another). */
export function probe(name: EngineName): Probe {
  let p = probes.get(name);
  if (!p) {
    const entry = ENGINES.find((e) => e.name === name)!;
    try {
      p = { entry, engine: entry.load() };
    } catch (e) {
      const code = (e as { code?: string })?.code;
      p = { entry, error: (e as Error)?.message ?? String(e), ...(code === ErrorCodes.INVALID_ARG ? { invalid: true } : {}) };
    }
    probes.set(name, p);
  }
  return p;
}
