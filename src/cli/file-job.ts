/**
 * Compress, decompress and test one input, always as streams so memory stays
 * bounded whatever the file size: read → (progress, hash) → codec → output.
 *
 * File outputs go to a temporary file that is renamed into place only after
 * the whole output was written (and, with --rm, verified); see src/fs/atomic-write.ts.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_LEVEL, createCompressStream, createDecompressStream } from '../index.js';
import { Context, displayName } from './context.js';
import { SYSTEM_MESSAGES, formatBpb, formatRatio } from './text.js';
import { admitInput, openInput, unchangedSince, type InputRules } from './input.js';
import { Progress } from './progress.js';
import { alreadyExists, writeAtomically } from '../fs/atomic-write.js';

export const SUFFIX = '.nnc';

/** Output at least this fraction of the input: "did not compress" (a stored frame is 100% plus 36 bytes). */
export const POOR_RATIO = 0.98;

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
  /** How the input may be opened (admitInput already checked it). */
  rules: InputRules;
}

/** Run one compress/decompress job. Errors are thrown to the caller, which reports them. */
export async function transcode(ctx: Context, job: Job): Promise<void> {
  const name = displayName(job.input);
  const fromStdin = job.input === '-';
  const toStdout = job.output === '-';
  const input = fromStdin ? undefined : await openInput(job.input, job.rules);
  const stat = input?.opened.isFile() ? input.opened : undefined;
  const started = process.hrtime.bigint();

  // --rm on compression: hash the input while compressing, then decode what was written and compare.
  const verify = ctx.opts.rm && !fromStdin && !toStdout && !job.decompress;
  const inputHash = verify ? createHash('sha256') : undefined;

  const progress = new Progress(ctx.progressSink(), name, stat?.size);
  const inMeter = new Meter(inputHash);
  const outMeter = new Meter();
  const source: Readable = input ? input.stream : ctx.io.stdin;
  const codec = job.decompress ? createDecompressStream(ctx.lib) : createCompressStream(ctx.lib);
  const tap = progress.tap();
  /** The input as it was once its last byte had been read (for --rm's same-file check). */
  let afterRead: fs.Stats | undefined;

  try {
    if (toStdout) {
      await pipeline(source, tap, inMeter, codec, outMeter, stdoutSink(ctx));
    } else {
      const produce = async (tmp: string): Promise<void> => {
        // Private until complete when it gets the input's mode; otherwise the usual 0666 & ~umask.
        await pipeline(source, tap, inMeter, codec, outMeter, fs.createWriteStream(tmp, { flags: 'wx', mode: stat ? 0o600 : 0o666 }));
        if (input) afterRead = await input.fstat();
        // Synced before the input's mode is copied: a read-only mode (444) would refuse the open for writing.
        if (ctx.opts.rm) await fsyncFile(tmp);
        if (stat) copyAttributes(tmp, stat);
        if (verify) await verifyArchive(ctx, tmp, inputHash!.digest(), inMeter.bytes);
      };
      await writeAtomically(job.output, (tmp) => produce(tmp).catch((e) => {
        throw outputError(e, job.output, tmp);
      }), { replace: ctx.opts.force, checkReplace: refuseExistingOutput });
    }
  } finally {
    progress.end();
    await input?.close();
  }

  if (ctx.opts.rm && input && !toStdout) {
    // Only now: the output is complete, on disk, in place and (for compression) decoded back to the input;
    // and only if the input is still the very file read: data appended meanwhile is in no output.
    if (afterRead && (await unchangedSince(job.input, afterRead, inMeter.bytes))) await fs.promises.unlink(job.input);
    else ctx.warn(name, `changed while it was being ${job.decompress ? 'decompressed' : 'compressed'} -- not removed`);
  }
  if (!job.decompress && inMeter.bytes > 0 && outMeter.bytes >= POOR_RATIO * inMeter.bytes) {
    ctx.notice(name, didNotCompress(ctx, inMeter.bytes, outMeter.bytes));
  }

  if (ctx.opts.verbosity > 1) {
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const [raw, packed] = job.decompress ? [outMeter.bytes, inMeter.bytes] : [inMeter.bytes, outMeter.bytes];
    ctx.info(
      `${name}: ${raw} -> ${packed} bytes, ratio ${formatRatio(raw, packed)}, ${formatBpb(raw, packed)} bits/byte, ` +
        `${secs.toFixed(3)} s, ${(raw / 1e6 / Math.max(secs, 1e-9)).toFixed(2)} MB/s` +
        `, engine ${ctx.engine}` +
        (job.decompress ? '' : `, level ${ctx.lib.level ?? DEFAULT_LEVEL}`) +
        (toStdout ? '' : ` -> ${job.output}`),
    );
  }
}

/**
 * Say that a file was stored or barely compressed, with which model and what
 * to do; the time spent on the network bought nothing. Informational (exit 0).
 */
function didNotCompress(ctx: Context, raw: number, packed: number): string {
  // -m auto (no model given): each frame's best candidate did not shrink it.
  const m = ctx.lib.model;
  const model = m ? `model ${m.metadata?.name ?? m.path ?? 'unnamed'} (${m.id})` : 'any of the models -m auto chooses among (nnc model list)';
  return (
    `warning: did not compress (ratio ${formatRatio(raw, packed)}) with ${model}; ` +
    'unless the data is already compressed or random, train a model for it: ' +
    'nnc train FILE... -o MODEL.nncm, then nnc -m MODEL.nncm FILE'
  );
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

/** With -f: a device, FIFO or directory that appeared at the output meanwhile is never replaced. */
function refuseExistingOutput(dest: string): void {
  const refusal = existingOutputRefusal(dest);
  if (refusal) throw new Error(refusal);
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
  // Nothing is written: anything readable may be tested, links followed (as gzip -t).
  const rules: InputRules = { regularOnly: false, followLinks: true };
  if (input !== '-' && !(await admitInput(ctx, name, input, rules))) return;
  const opened = input === '-' ? undefined : await openInput(input, rules);
  const progress = new Progress(ctx.progressSink(), name, opened?.opened.isFile() ? opened.opened.size : undefined);
  try {
    await pipeline(opened ? opened.stream : ctx.io.stdin, progress.tap(), createDecompressStream(ctx.lib), discard());
  } finally {
    progress.end();
    await opened?.close();
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
  // Checked first, so nothing is ever created beside a device, FIFO or link that is refused.
  const rules: InputRules = { regularOnly: !o.stdout, followLinks: o.stdout || o.force };
  if (input !== '-' && !(await admitInput(ctx, name, input, rules))) return undefined;
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
    const refusal = existingOutputRefusal(output);
    if (refusal) {
      ctx.error(name, refusal);
      return undefined;
    }
    if (!o.force && fs.existsSync(output)) {
      ctx.error(name, alreadyExists(output));
      return undefined;
    }
  }
  return { input, output, decompress, rules };
}

/**
 * Why an existing `output` must not be replaced even with -f: a directory, a
 * device, a FIFO or a socket (a symbolic link is replaced, never written
 * through). Undefined when there is nothing there or it may be replaced.
 */
function existingOutputRefusal(output: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(output);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return `${output} is a directory; not overwriting it`;
  if (st.isFile() || st.isSymbolicLink()) return undefined;
  return `${output} exists and is not a regular file; not replacing it, even with -f (use -c and redirect to write there)`;
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
