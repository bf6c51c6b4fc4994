/**
 * The public Model object: a parsed, validated .nncm file. Engines keep their
 * own prepared copy of it (folded tables, packed weights), cached here so a
 * model loaded once is prepared once per engine.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, NncError, invalidArg } from '../errors.js';
import type { Engine, EngineModel, EngineName } from '../engine/types.js';
import { MAX_MODEL_FILE, parseModel } from '../format/model-file.js';
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
  return new Model(readModelFile(source), source);
}

/** What a non-regular file is, for the message. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Refuse, before reading a byte, what cannot be a model: anything but a regular file, or a file too big for the format. */
function checkModelFile(path: string, st: Stats): void {
  if (!st.isFile()) {
    throw new NncError(ErrorCodes.BAD_MODEL, `model ${path} is ${kindOf(st)}, not a regular file; pass the path of a .nncm file`);
  }
  if (st.size > MAX_MODEL_FILE) {
    throw new NncError(
      ErrorCodes.BAD_MODEL,
      `model ${path} is ${st.size} bytes, more than the ${MAX_MODEL_FILE} a .nncm file can be (docs/FORMAT.md 1.1); it is not a model`,
    );
  }
}

/**
 * The bytes of a model file, read with bounded time and memory: `-m
 * /dev/zero` or a huge file must fail at once rather than exhaust memory, and
 * a FIFO must never block the process (a blocked synchronous open ignores
 * SIGTERM). So: stat first; open non-blocking (a FIFO swapped in after the
 * stat still cannot block); check the opened file again with fstat; read
 * exactly the size it had, never more.
 */
export function readModelFile(path: string): Buffer {
  const cannot = (e: unknown): NncError => {
    const err = e as NodeJS.ErrnoException;
    return new NncError(ErrorCodes.INVALID_ARG, `cannot read model ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, { cause: e });
  };
  let fd: number;
  try {
    checkModelFile(path, statSync(path));
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw e instanceof NncError ? e : cannot(e);
  }
  try {
    const st = fstatSync(fd);
    checkModelFile(path, st);
    const bytes = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < bytes.length) {
      const got = readSync(fd, bytes, n, bytes.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return bytes.subarray(0, n);
  } catch (e) {
    throw e instanceof NncError ? e : cannot(e);
  } finally {
    closeSync(fd);
  }
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
