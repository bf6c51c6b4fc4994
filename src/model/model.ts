/**
 * The public Model object: a parsed, validated .nncm file. Engines keep their
 * own prepared copy of it (folded tables, packed weights), cached here so a
 * model loaded once is prepared once per engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, NncError, invalidArg } from '../errors.js';
import type { Engine, EngineModel, EngineName } from '../engine/types.js';
import { parseModel } from './format.js';
import { alphabetSize, parameterCount, type ModelMetadata, type ParsedModel } from './types.js';
import { packageRoot } from '../package-root.js';

export interface ModelInfo {
  k: number;
  embedding: number;
  hidden: number[];
  /** Byte values predicted directly (the alphabet without the escape). */
  alphabetBytes: number;
  /** Alphabet size A including the escape. */
  alphabetSize: number;
  parameters: number;
}

export class Model {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly metadata: ModelMetadata;
  readonly info: ModelInfo;
  /** Where it was loaded from, if a file. */
  readonly path?: string;
  readonly parsed: ParsedModel;
  private readonly prepared = new Map<EngineName, EngineModel>();

  constructor(bytes: Uint8Array, path?: string) {
    this.parsed = parseModel(bytes);
    const t = this.parsed.tensors;
    this.id = this.parsed.id;
    this.bytes = this.parsed.bytes;
    this.metadata = this.parsed.metadata;
    this.path = path;
    this.info = {
      k: t.k,
      embedding: t.E,
      hidden: t.hidden.map((l) => l.b.length),
      alphabetBytes: t.alphabet.length,
      alphabetSize: alphabetSize(t),
      parameters: parameterCount(t),
    };
  }

  /** This model as `engine` holds it (prepared on first use). */
  for(engine: Engine): EngineModel {
    let m = this.prepared.get(engine.name);
    if (!m) {
      m = engine.loadModel(this.bytes);
      this.prepared.set(engine.name, m);
    }
    return m;
  }
}

export const defaultModelPath = (): string => join(packageRoot(), 'models', 'default.nncm');

const fileCache = new Map<string, Model>();

/** Load a model from a path or the bytes of a .nncm file. */
export function loadModel(source: string | Uint8Array): Model {
  if (source instanceof Uint8Array) return new Model(source);
  if (typeof source !== 'string') throw invalidArg('model', 'a path, a Buffer or a Model', source);
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new NncError(ErrorCodes.INVALID_ARG, `cannot read model ${source}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, { cause: e });
  }
  return new Model(bytes, source);
}

/** Resolve the `model` option; the bundled default is loaded once per process. */
export function resolveModel(m: string | Uint8Array | Model | undefined): Model {
  if (m instanceof Model) return m;
  if (m === undefined) {
    const p = defaultModelPath();
    let cached = fileCache.get(p);
    if (!cached) {
      cached = loadModel(p);
      fileCache.set(p, cached);
    }
    return cached;
  }
  return loadModel(m);
}
