/**
 * What `nnc train` and `nnc prune` write is never replaced without -f. An
 * archive names its model by ID only, so a model file replaced by a newly
 * trained one makes every archive made with the old one undecodable: that
 * is data loss, not a convenience. Checked before training starts (hours
 * may go by), and again when the model is published (no-clobber link), so
 * a file that appeared meanwhile is not replaced either.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeAtomically } from '../fs/atomic-write.js';

/** An output that exists; the CLI prints `nnc: FILE: message`. */
export class OutputExists extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
  }
}

const MODEL_EXISTS = 'already exists; use -f to overwrite (archives made with the old model need it to decode)';

/**
 * `nnc train -o OUT`: OUT must not exist, nor OUT.ckpt, unless -f. The
 * checkpoint being resumed may be OUT.ckpt itself: continuing it is the
 * point of --resume.
 */
export function checkTrainOutputs(out: string, ckpt: string, resume: string | undefined, force: boolean): void {
  if (force) return;
  if (existsSync(out)) throw new OutputExists(out, MODEL_EXISTS);
  if (existsSync(ckpt) && !(resume && resolve(resume) === resolve(ckpt))) {
    throw new OutputExists(ckpt, `already exists; use -f to overwrite, or --resume ${ckpt} to continue that training`);
  }
}

/** The files a pruning run writes into its directory (and -f replaces). */
const FAMILY_FILE = /^(model-.*\.nncm|report\.(json|md|svg))$/;

/**
 * `nnc prune -o DIR`: DIR must be absent or empty, unless -f; with -f the
 * previous family (its models and report) is removed first, so the new
 * report never lists, and the directory never mixes, two families. Other
 * files, and the checkpoint a resumed run is reading, are left alone.
 */
export function prepareFamilyDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OutputExists(dir, 'exists and is not a directory; give another -o DIR');
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!force) {
    throw new OutputExists(dir, 'already exists and is not empty; use -f to replace the family in it (archives made with its models need them to decode)');
  }
  for (const f of entries) if (FAMILY_FILE.test(f)) rmSync(join(dir, f), { force: true });
}

/** Write a model: temp file beside it, then a no-clobber publish (or a rename with -f). */
export async function writeModelFile(path: string, bytes: Uint8Array, force: boolean): Promise<void> {
  try {
    await writeAtomically(path, (tmp) => writeFileSync(tmp, bytes), { replace: force });
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') throw new OutputExists(path, MODEL_EXISTS);
    throw e;
  }
}
