/**
 * Finding a model by its ID (docs/FORMAT.md 1.1) in a list of directories:
 * the `modelPath` option, `--model-path`, and the NNC_MODEL_PATH variable,
 * so archives made with many models decode without the user tracking which
 * file made which archive.
 *
 * Only what the ID needs is read: each .nncm file's 16-byte header and its
 * canonical section (the ID is XXH64 of that section), through the same
 * type and size checks as loadModel. IDs are cached by path, size and mtime,
 * so a directory is hashed once per process, not once per frame or per call.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { NncError, invalidArg } from '../errors.js';
import { toHex64, xxh64 } from '../xxhash64.js';
import { MAX_MODEL_FILE, MODEL_HEADER_SIZE, modelFileSections } from '../format/model-file.js';
import { Model, loadModel } from './model.js';

/** The directories to search: the option's first, then NNC_MODEL_PATH's; empty entries dropped, duplicates once. */
export function modelSearchPath(option: unknown, env: string | undefined = process.env.NNC_MODEL_PATH): string[] {
  let fromOption: string[] = [];
  if (typeof option === 'string') fromOption = option.split(delimiter);
  else if (Array.isArray(option) && option.every((d) => typeof d === 'string')) fromOption = option;
  else if (option !== undefined) throw invalidArg('modelPath', `an array of directories or a '${delimiter}'-separated string`, option);
  const dirs = [...fromOption, ...(env ? env.split(delimiter) : [])].filter((d) => d !== '');
  return [...new Set(dirs)];
}

interface Entry {
  size: number;
  mtimeMs: number;
  id: string | null;
  model?: Model;
}

const cache = new Map<string, Entry>();

/**
 * The ID of the model file at `path`, or null if it is not one (wrong magic,
 * sizes that disagree, not a regular file, unreadable). Reads at most
 * 16 + C bytes; never blocks on a FIFO.
 */
function idOf(path: string, size: number): string | null {
  if (size < 24 || size > MAX_MODEL_FILE) return null;
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch {
    return null;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const head = Buffer.alloc(MODEL_HEADER_SIZE);
    if (readSync(fd, head, 0, MODEL_HEADER_SIZE, 0) !== MODEL_HEADER_SIZE) return null;
    const sections = modelFileSections(head);
    if (!sections) return null;
    const { canonical: C, metadata: J } = sections;
    if (C < 1 || MODEL_HEADER_SIZE + C + J + 8 !== size) return null;
    const canonical = Buffer.allocUnsafe(C);
    let n = 0;
    while (n < C) {
      const got = readSync(fd, canonical, n, C - n, MODEL_HEADER_SIZE + n);
      if (got === 0) return null;
      n += got;
    }
    return toHex64(xxh64(canonical));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The model files of `dir` in name order, each with its (cached) ID; null IDs are files that are not models. */
function scan(dir: string): { path: string; entry: Entry }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.nncm')).sort();
  } catch {
    return []; // a missing or unreadable directory in a search path is not an error, as in PATH
  }
  const out: { path: string; entry: Entry }[] = [];
  for (const name of names) {
    const path = resolve(join(dir, name));
    let size: number, mtimeMs: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      ({ size, mtimeMs } = st);
    } catch {
      continue;
    }
    let e = cache.get(path);
    if (!e || e.size !== size || e.mtimeMs !== mtimeMs) {
      e = { size, mtimeMs, id: idOf(path, size) };
      cache.set(path, e);
    }
    out.push({ path, entry: e });
  }
  return out;
}

/** Load a file whose header made it look like a model: a damaged one is an error that names it. */
function load(path: string, e: Entry): Model {
  if (!e.model) {
    try {
      e.model = loadModel(path);
    } catch (err) {
      if (err instanceof NncError && !err.message.includes(path)) err.message = `model ${path}: ${err.message}`;
      throw err;
    }
  }
  return e.model;
}

/**
 * The first model, in directory order then name order, whose ID is `id`;
 * undefined if none. A file whose ID matches is then loaded in full
 * (checksum and all), so a damaged file with the right ID is an error, not
 * a silent skip.
 */
export function findModelById(id: string, dirs: readonly string[]): Model | undefined {
  for (const dir of dirs) {
    for (const { path, entry } of scan(dir)) {
      if (entry.id !== id) continue;
      const m = load(path, entry);
      if (m.id === id) return m;
    }
  }
  return undefined;
}

/**
 * Every model in `dirs` (directory order, then name order), each ID once:
 * the first file with an ID wins. Files that are not models are skipped, as
 * findModelById skips them; one that looks like a model but fails to load
 * is an error naming it (a damaged model must not silently drop out of a choice).
 */
export function modelsIn(dirs: readonly string[]): Model[] {
  const seen = new Set<string>();
  const out: Model[] = [];
  for (const dir of dirs) {
    for (const { path, entry } of scan(dir)) {
      if (entry.id === null || seen.has(entry.id)) continue;
      seen.add(entry.id);
      out.push(load(path, entry));
    }
  }
  return out;
}
