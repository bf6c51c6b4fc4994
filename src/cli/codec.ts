/**
 * Compress, decompress and test one input, always as streams so memory stays
 * bounded whatever the file size: read → (progress, hash) → codec → output.
 *
 * File outputs go to a temporary file that is renamed into place only after
 * the whole output was written (and, with --rm, verified); see tempfile.ts.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createCompressStream, createDecompressStream } from '../index.js';
import { Context, displayName } from './context.js';
import { SYSTEM_MESSAGES, formatBpb, formatRatio } from './format.js';
import { Progress } from './progress.js';
import { alreadyExists, publishNoClobber, registerTemp, releaseTemp, removeTemp, tempPathFor } from './tempfile.js';

export const SUFFIX = '.nnc';

/** Counts bytes and, optionally, hashes them on the way through. */
class Meter extends Transform {
  bytes = 0;
  constructor(private readonly hash?: Hash) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    cb(null, chunk);
  }
}

/** A final pipeline stage that writes to stdout without ever ending or destroying it (more files may follow). */
function stdoutSink(ctx: Context): (src: AsyncIterable<Buffer>) => Promise<void> {
  return async (src) => {
    const out = ctx.io.stdout;
    for await (const chunk of src) {
      if (ctx.stdoutError) throw ctx.stdoutError;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (ctx.stdoutError) throw ctx.stdoutError;
  };
}

/** A final stage that discards everything (for -t and for verification). */
const discard = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

interface Job {
  /** Input path, or '-' for stdin. */
  input: string;
  /** Output path, or '-' for stdout. */
  output: string;
  decompress: boolean;
}

/** Run one compress/decompress job. Errors are thrown to the caller, which reports them. */
export async function transcode(ctx: Context, job: Job): Promise<void> {
  const name = displayName(job.input);
  const fromStdin = job.input === '-';
  const toStdout = job.output === '-';
  const stat = fromStdin ? undefined : await fs.promises.stat(job.input);
  const started = process.hrtime.bigint();

  // --rm on compression: hash the input while compressing, then decode what was written and compare.
  const verify = ctx.opts.rm && !fromStdin && !toStdout && !job.decompress;
  const inputHash = verify ? createHash('sha256') : undefined;

  const progress = new Progress(ctx.progressSink(), name, stat?.size);
  const inMeter = new Meter(inputHash);
  const outMeter = new Meter();
  const source: Readable = fromStdin ? ctx.io.stdin : fs.createReadStream(job.input);
  const codec = job.decompress ? createDecompressStream(ctx.lib) : createCompressStream(ctx.lib);
  const tap = progress.tap();

  try {
    if (toStdout) {
      await pipeline(source, tap, inMeter, codec, outMeter, stdoutSink(ctx));
    } else {
      await writeAtomically(ctx, job.output, async (tmp) => {
        // Private until complete when it gets the input's mode; otherwise the usual 0666 & ~umask.
        await pipeline(source, tap, inMeter, codec, outMeter, fs.createWriteStream(tmp, { flags: 'wx', mode: stat ? 0o600 : 0o666 }));
        if (stat) copyAttributes(tmp, stat);
        if (ctx.opts.rm) await fsyncFile(tmp);
        if (verify) await verifyArchive(ctx, tmp, inputHash!.digest(), inMeter.bytes);
      });
    }
  } finally {
    progress.end();
  }

  if (ctx.opts.rm && !fromStdin && !toStdout) {
    // Only now: the output is complete, on disk, in place and (for compression) decoded back to the input.
    await fs.promises.unlink(job.input);
  }

  if (ctx.opts.verbosity > 1) {
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const [raw, packed] = job.decompress ? [outMeter.bytes, inMeter.bytes] : [inMeter.bytes, outMeter.bytes];
    ctx.info(
      `${name}: ${raw} -> ${packed} bytes, ratio ${formatRatio(raw, packed)}, ${formatBpb(raw, packed)} bits/byte, ` +
        `${secs.toFixed(3)} s, ${(raw / 1e6 / Math.max(secs, 1e-9)).toFixed(2)} MB/s` +
        `, engine ${ctx.engine}` +
        (toStdout ? '' : ` -> ${job.output}`),
    );
  }
}

/** Decode the archive just written and check it reproduces the input (same length, same SHA-256). */
async function verifyArchive(ctx: Context, archive: string, expected: Buffer, expectedBytes: number): Promise<void> {
  const hash = createHash('sha256');
  const meter = new Meter(hash);
  await pipeline(fs.createReadStream(archive), createDecompressStream(ctx.lib), meter, discard());
  if (meter.bytes !== expectedBytes || !hash.digest().equals(expected)) {
    const e = new Error('verification failed: the written archive does not decode to the input; input kept') as Error & {
      code: string;
    };
    e.code = 'ERR_NNC_INTERNAL';
    throw e;
  }
}

/**
 * Create `dest` through a temporary file in the same directory: `produce`
 * writes the temporary file, which is then published as `dest`. On any
 * failure the temporary file is removed and `dest` is untouched.
 *
 * Without -f, publishing is a hard link, which fails if `dest` exists, so
 * of two nnc writing the same path at once exactly one wins and the other's
 * output never replaces it (a rename would silently overwrite). With -f the
 * rename is atomic: `dest` is always one complete output.
 */
async function writeAtomically(ctx: Context, dest: string, produce: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(dest);
  registerTemp(tmp, dest);
  try {
    try {
      await produce(tmp);
    } catch (e) {
      throw outputError(e, dest, tmp);
    }
    if (ctx.opts.force) await fs.promises.rename(tmp, dest);
    else await publishNoClobber(tmp, dest);
    releaseTemp(tmp);
  } catch (e) {
    removeTemp(tmp);
    throw e;
  }
}

/**
 * A failure while writing the output (full disk, permissions, file size
 * limit, I/O error) says which file and that no partial output was left;
 * other errors (a damaged archive, a read error) pass through unchanged.
 */
function outputError(e: unknown, dest: string, tmp: string): unknown {
  const err = e as NodeJS.ErrnoException;
  const writing = typeof err?.syscall === 'string' && (err.path === tmp || ['write', 'writev', 'fsync', 'close'].includes(err.syscall));
  if (!writing || typeof err.code !== 'string') return e;
  const partial = fs.existsSync(tmp);
  const out = new Error(
    `cannot write ${dest}: ${SYSTEM_MESSAGES[err.code] ?? err.message}; ` +
      (partial ? 'the partial output was removed' : 'nothing was written'),
    { cause: e },
  ) as Error & { code: string };
  out.code = err.code;
  return out;
}

/** Like gzip: the output keeps the input's permission bits and times (best effort). */
function copyAttributes(file: string, stat: fs.Stats): void {
  try {
    fs.chmodSync(file, stat.mode & 0o777);
    fs.utimesSync(file, stat.atime, stat.mtime);
  } catch {
    // Not fatal: some file systems do not support it.
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** -t: decode everything (the decoder verifies every frame's checksum), write nothing. */
export async function testArchive(ctx: Context, input: string): Promise<void> {
  const name = displayName(input);
  const stat = input === '-' ? undefined : await fs.promises.stat(input);
  if (stat?.isDirectory()) {
    ctx.warn(name, 'is a directory -- ignored');
    return;
  }
  const progress = new Progress(ctx.progressSink(), name, stat?.size);
  const source: Readable = input === '-' ? ctx.io.stdin : fs.createReadStream(input);
  try {
    await pipeline(source, progress.tap(), createDecompressStream(ctx.lib), discard());
  } finally {
    progress.end();
  }
  if (ctx.opts.verbosity > 0) ctx.io.stdout.write(`${name}: OK\n`);
}

/**
 * Decide where one input goes, or say why it is skipped. Returns undefined
 * when the input was skipped (the warning or error is already reported).
 */
export async function planJob(ctx: Context, input: string): Promise<Job | undefined> {
  const o = ctx.opts;
  const decompress = o.mode === 'decompress';
  const name = displayName(input);
  let output: string;
  if (input !== '-') {
    const st = await fs.promises.stat(input);
    if (st.isDirectory()) {
      ctx.warn(name, 'is a directory -- ignored');
      return undefined;
    }
  }
  if (o.stdout) output = '-';
  else if (o.output !== undefined) output = o.output;
  else if (input === '-') output = '-';
  else if (decompress) {
    if (!input.endsWith(SUFFIX) || path.basename(input) === SUFFIX) {
      ctx.warn(name, `unknown suffix (expected ${SUFFIX}) -- ignored; use -o FILE or -c to decompress it anyway`);
      return undefined;
    }
    output = input.slice(0, -SUFFIX.length);
  } else {
    if (input.endsWith(SUFFIX) && !o.force) {
      ctx.warn(name, `already has ${SUFFIX} suffix -- unchanged (use -f to compress it again)`);
      return undefined;
    }
    output = input + SUFFIX;
  }

  if (output !== '-') {
    if (input !== '-' && sameFile(input, output)) {
      ctx.error(name, 'input and output are the same file');
      return undefined;
    }
    if (!o.force && fs.existsSync(output)) {
      ctx.error(name, alreadyExists(output));
      return undefined;
    }
    if (o.force && fs.existsSync(output) && fs.statSync(output).isDirectory()) {
      ctx.error(name, `${output} is a directory; not overwriting it`);
      return undefined;
    }
  }
  return { input, output, decompress };
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}
