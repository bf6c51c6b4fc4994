/**
 * The bundled models: every .nncm file in the package's models/ directory
 * (models/default.nncm, the English text model, among them). They are the
 * candidates of `model: 'auto'` (src/model/choose.ts) together with the
 * models in the search path, and decoders always look among them for the
 * model a frame names, so an archive written with any of them decodes with
 * no model given.
 *
 * NNC_BUNDLED_MODELS names another directory to use instead: for
 * distributions that install the models elsewhere, and for tests, which
 * must not depend on which models the package happens to ship.
 */
import { join, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Model } from './model.js';
import { modelsIn } from './search.js';

/** The directory of bundled models: NNC_BUNDLED_MODELS if set (and not empty), else the package's models/. */
export function bundledModelsDir(env: string | undefined = process.env.NNC_BUNDLED_MODELS): string {
  return resolve(env || join(packageRoot(), 'models'));
}

/** The bundled models in `dir`, in file-name order, each ID once (loaded once per process per file version). */
export function bundledModels(dir: string = bundledModelsDir()): Model[] {
  return modelsIn([dir]);
}

/**
 * The candidates of `model: 'auto'`: the bundled models, then those of the
 * search path, each model ID once (the first file with an ID wins), sorted
 * by ID so that the choice's tie rule (smallest ID) is the list's order.
 */
export function candidateModels(dir: string, modelPath: readonly string[]): Model[] {
  return modelsIn([dir, ...modelPath]).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What to call a model in listings: its metadata name, else its ID. */
export const modelName = (m: Model): string => (typeof m.metadata.name === 'string' && m.metadata.name !== '' ? m.metadata.name : m.id);
