/**
 * Atomic file writes: an output is written to a temporary file beside the
 * destination and renamed (or linked) into place only on success, so a
 * crash, an error or Ctrl-C never leaves a half-written archive, a truncated
 * file or a model that looks complete. writeAtomically() and
 * replaceFileSync() are the one way the package writes an output file: the
 * CLI's file jobs (compress, decompress), the trainer's models and its
 * checkpoint.
 *
 * Every live temporary file is registered here, so whoever handles a signal
 * (the CLI: src/cli/tempfile.ts, installSignalCleanup) can remove them
 * synchronously with removeAllTemps() before the process exits.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Live temporary files → the destination each will become. */
const live = new Map<string, string>();

/** The longest file name (in bytes) Linux, macOS and Windows file systems take. */
const NAME_MAX = 255;

/**
 * `.NAME.<pid>.<random>.tmp` in the destination's directory (same file
 * system, so rename is atomic). NAME is cut (at a character) when the whole
 * would be longer than NAME_MAX: a destination whose own name fits must not
 * fail with ENAMETOOLONG for its temporary file's sake.
 */
export function tempPathFor(dest: string): string {
  const dir = path.dirname(dest);
  const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const room = NAME_MAX - 1 - suffix.length;
  let base = path.basename(dest);
  if (Buffer.byteLength(base) > room) {
    const chars = Array.from(base);
    while (Buffer.byteLength(chars.join('')) > room) chars.pop();
    base = chars.join('');
  }
  return path.join(dir, `.${base}${suffix}`);
}

/** Matches the names tempPathFor makes: `.NAME.<pid>.<8 hex>.tmp`. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** The process ID in a name tempPathFor made, or undefined for any other name. */
export function tempNamePid(file: string): number | undefined {
  const m = TEMP_NAME.exec(path.basename(file));
  return m ? Number(m[2]) : undefined;
}

export function registerTemp(p: string, dest = p): void {
  live.set(p, dest);
}

/** Remove a temporary file (ignoring "already gone") and forget it. */
export function removeTemp(p: string): void {
  live.delete(p);
  try {
    fs.rmSync(p, { force: true });
  } catch {
    // Best effort: nothing sensible to do if we cannot remove our own temp file.
  }
}

/** The file was renamed into place: it is no longer ours to delete. */
export function releaseTemp(p: string): void {
  live.delete(p);
}

/** Remove every live temporary file; returns the destinations whose partial output was removed. */
export function removeAllTemps(): string[] {
  const removed: string[] = [];
  for (const [p, dest] of [...live]) {
    if (fs.existsSync(p)) removed.push(dest);
    removeTemp(p);
  }
  return removed;
}

/**
 * Publish a finished temporary file as `dest` without ever replacing an
 * existing `dest`: a hard link fails with EEXIST if it exists, so of two
 * writers exactly one wins.
 */
export async function publishNoClobber(tmp: string, dest: string): Promise<void> {
  try {
    await fs.promises.link(tmp, dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw alreadyExists(dest);
    // File systems without hard links: check, then rename (a narrow race remains).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw e;
    if (fs.existsSync(dest)) throw alreadyExists(dest);
    await fs.promises.rename(tmp, dest);
    return;
  }
  await fs.promises.unlink(tmp);
}

export interface PublishOptions {
  /**
   * Replace an existing `dest` (-f): an atomic rename, so `dest` is always
   * one complete output. Otherwise never: a no-clobber publish.
   */
  replace: boolean;
  /** With `replace`: throws if what is at `dest` now must not be replaced even so. */
  checkReplace?: (dest: string) => void;
}

/**
 * Create `dest` through a temporary file in the same directory: `produce`
 * writes the temporary file (registered, so a signal removes it), which is
 * then published as `dest`. On any failure the temporary file is removed and
 * `dest` is untouched.
 *
 * Without `replace`, publishing is a hard link, which fails if `dest` exists
 * (EEXIST, alreadyExists()), so of two nnc writing the same path at once
 * exactly one wins and the other's output never replaces it (a rename would
 * silently overwrite).
 */
export async function writeAtomically(dest: string, produce: (tmp: string) => Promise<void> | void, o: PublishOptions): Promise<void> {
  const tmp = tempPathFor(dest);
  registerTemp(tmp, dest);
  try {
    await produce(tmp);
    if (o.replace) {
      refuseNonRegular(dest);
      o.checkReplace?.(dest);
      await fs.promises.rename(tmp, dest);
    } else {
      await publishNoClobber(tmp, dest);
    }
    releaseTemp(tmp);
  } catch (e) {
    removeTemp(tmp);
    throw e;
  }
}

/**
 * writeAtomically() for a file written whole and replaced every time (nnc
 * train's checkpoint, after every epoch): synchronous, so it is in place
 * before training goes on.
 */
export function replaceFileSync(dest: string, bytes: Uint8Array): void {
  const tmp = tempPathFor(dest);
  registerTemp(tmp, dest);
  try {
    fs.writeFileSync(tmp, bytes);
    refuseNonRegular(dest);
    fs.renameSync(tmp, dest);
    releaseTemp(tmp);
  } catch (e) {
    removeTemp(tmp);
    throw e;
  }
}

/**
 * Replacing (-f) is for files: a device, FIFO, socket or directory at the
 * destination is never replaced by a rename, whoever asks (nnc -f refuses it
 * for file jobs; this holds for models and checkpoints too).
 */
function refuseNonRegular(dest: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dest);
  } catch {
    return; // nothing there
  }
  if (!st.isFile() && !st.isSymbolicLink()) {
    const e = new Error(`${dest} is not a regular file; refusing to replace it`) as Error & { code: string };
    e.code = 'EEXIST';
    throw e;
  }
}

export function alreadyExists(file: string): Error {
  const e = new Error(`${file} already exists; use -f to overwrite it`) as Error & { code: string };
  e.code = 'EEXIST';
  return e;
}
