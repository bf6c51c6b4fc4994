/**
 * The tests' engine lists, from the registry (src/engine/registry.ts): every
 * registered engine and every pair of them. Tests iterate over all of them;
 * an engine that does not load here is reported as skipped with its reason
 * in the title (ggml's test-backend-ops habit), never filtered out silently,
 * so a missing engine shows in every report.
 */
import { describe, it } from 'vitest';
import { engineInfo, type EngineName, type EngineStatus } from '../../src/index.js';

/** Every registered engine, in the registry's (preference) order, with its status. */
export const registeredEngines: readonly EngineStatus[] = engineInfo().engines;

/** The names of the engines that load here. */
export const availableEngines: readonly EngineName[] = registeredEngines.filter((e) => e.available).map((e) => e.name);

/** The status of one engine (e.g. for a test of engine-specific behaviour). */
export function engineStatus(name: EngineName): EngineStatus {
  const s = registeredEngines.find((e) => e.name === name);
  if (!s) throw new Error(`no engine ${name} is registered`);
  return s;
}

/** '' where `e` loads, else " (skipped: NAME is unavailable: REASON)", for a title. */
export function skipNote(e: EngineStatus): string {
  return e.available ? '' : ` (skipped: ${e.name} is unavailable: ${e.reason})`;
}

/**
 * describe(`${title} (NAME engine)`, body) once per registered engine. Where
 * one does not load, its body is not even run (a body may use the engine
 * while collecting its tests): one skipped test stands for it, with the reason.
 */
export function describeEachEngine(title: string, body: (engine: EngineName) => void): void {
  for (const e of registeredEngines) {
    if (e.available) describe(`${title} (${e.name} engine)`, () => body(e.name));
    // Not loaded here: one skipped test stands for the whole block, the reason in its title.
    else it.skipIf(!e.available)(`${title} (${e.name} engine)${skipNote(e)}`, () => {});
  }
}

/**
 * Every unordered pair of registered engines, in registry order (a pair's
 * test checks both directions: each encodes, the other decodes), with why
 * it is skipped where either engine does not load.
 */
export const enginePairs: readonly { a: EngineName; b: EngineName; skip?: string }[] = registeredEngines.flatMap((a, i) =>
  registeredEngines.slice(i + 1).map((b) => {
    const missing = [a, b].filter((e) => !e.available);
    return { a: a.name, b: b.name, ...(missing.length ? { skip: missing.map((e) => `${e.name} is unavailable: ${e.reason}`).join('; ') } : {}) };
  }),
);

/** The pairs whose engines both load. */
export const availablePairs = enginePairs.filter((p) => !p.skip);

/**
 * For tests that loop over `availableEngines` inside one test: one skipped
 * test per engine that does not load, so the report says it was not covered.
 */
export function reportUnavailable(what: string): void {
  for (const e of registeredEngines) if (!e.available) it.skipIf(!e.available)(`${what} (${e.name} engine)${skipNote(e)}`, () => {});
}
