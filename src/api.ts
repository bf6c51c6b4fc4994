/**
 * compress / decompress in the shape of node:zlib. The facade cuts input into
 * frames, ends the archive with its end record, and walks (concatenated)
 * archives; engines code one frame at a time.
 */
import { ErrorCodes, NncError, invalidArg } from './errors.js';
import { ArchiveTally, walkArchive } from './format/archive.js';
import { InOrder, framesInFlight } from './in-flight.js';
import type { FrameHeader } from './format/frame.js';
import {
  type CodecOptions, type CompressOptions, type Resolved, explainChecksum, frameOptions, modelForContent, modelForContentAsync, modelForFrame, resolveOptions,
  throwIfAborted,
  toBytes,
} from './options.js';

function frames(input: Uint8Array, frameSize: number): Uint8Array[] {
  if (input.length === 0) return [input];
  const out: Uint8Array[] = [];
  for (let p = 0; p < input.length; p += frameSize) out.push(input.subarray(p, Math.min(input.length, p + frameSize)));
  return out;
}

const concat = (parts: Uint8Array[]): Buffer =>
  parts.length === 1 && Buffer.isBuffer(parts[0]) ? parts[0] : Buffer.concat(parts);

/** The archive: the coded frames, then the end record that counts them (FORMAT.md 4.2). */
function archiveOf(coded: Uint8Array[]): Buffer {
  const tally = new ArchiveTally();
  for (const f of coded) tally.addFrame(f);
  return Buffer.concat([...coded, tally.endRecord()]);
}

/**
 * The frames of an archive, to decode in order, each item checked when it is
 * reached, so each damage fails with the code the stream decoder gives it
 * (damage is reported in the order a front-to-back reader meets it). Before
 * that, the headers alone give the output size, held to maxOutputLength
 * before any output is allocated or decoded.
 */
function framesToDecode(data: Uint8Array, r: Resolved): Iterable<{ bytes: Uint8Array; header: FrameHeader; at: number }> {
  let total = 0;
  try {
    for (const f of walkArchive(data, false)) total += f.header.contentSize;
  } catch {
    // Damage: the walk below reports it where it is met.
  }
  if (total > r.maxOutputLength) {
    throw new NncError(
      ErrorCodes.OUTPUT_TOO_LARGE,
      `the archive holds ${total} bytes (from its frame headers), more than maxOutputLength (${r.maxOutputLength}); raise maxOutputLength, or decode it with createDecompressStream()`,
    );
  }
  return walkArchive(data);
}

/**
 * Say which frame an engine's error came from (engines see one frame and know
 * no offsets) and, for a checksum failure, that a same-ID model is possible.
 */
export function atFrame(e: unknown, f: { at: number; header: FrameHeader }): unknown {
  if (e instanceof NncError && e.code !== ErrorCodes.ABORTED) {
    explainChecksum(e, f.header);
    if (!e.message.includes('frame at byte ')) e.message = `${e.message} (frame at byte ${f.at})`;
    if (e.stack) e.stack = e.stack.replace(/^[^\n]*/, `${e.name} [${e.code}]: ${e.message}`);
  }
  return e;
}

export function compressSync(input: Uint8Array | ArrayBuffer | string, opts?: CompressOptions): Buffer {
  const data = toBytes(input);
  const r = resolveOptions(opts);
  return archiveOf(frames(data, r.frameSize).map((f) => r.engine.compressFrame(modelForContent(r, f), f, frameOptions(r, f.length))));
}

export function decompressSync(input: Uint8Array | ArrayBuffer, opts?: CodecOptions): Buffer {
  const data = toBytes(input);
  const r = resolveOptions(opts);
  const out: Uint8Array[] = [];
  for (const f of framesToDecode(data, r)) {
    try {
      out.push(r.engine.decompressFrame(modelForFrame(r, f), f.bytes, r));
    } catch (e) {
      throw atFrame(e, f);
    }
  }
  return concat(out);
}

/**
 * Async calls copy their input first: the caller's event loop runs while the
 * job does, and a caller may reuse or change its buffer then (the sync calls
 * block the caller and read in place).
 */
const ownCopy = (input: Uint8Array | ArrayBuffer | string): Uint8Array => {
  const data = toBytes(input);
  return typeof input === 'string' ? data : Uint8Array.prototype.slice.call(data);
};

export async function compress(input: Uint8Array | ArrayBuffer | string, opts?: CompressOptions): Promise<Buffer> {
  const stack = new Error();
  try {
    const data = ownCopy(input);
    const r = resolveOptions(opts);
    throwIfAborted(r.signal);
    const q = new InOrder<Uint8Array>(framesInFlight(r.engine, r.threads), r.signal);
    const out: Uint8Array[] = [];
    for (const f of frames(data, r.frameSize)) {
      if (q.full) out.push(await q.next());
      // The window's signal: the caller's abort, or another frame's failure, stops this job.
      // Each frame's model is chosen in its own job (model 'auto'), so frames are chosen in parallel too.
      const signal = q.signal;
      q.start(modelForContentAsync(r, f, signal).then((m) => r.engine.compressFrameAsync(m, f, frameOptions(r, f.length, signal))));
    }
    while (q.size > 0) out.push(await q.next());
    q.close();
    return archiveOf(out);
  } catch (e) {
    throw withStack(e, stack);
  }
}

export async function decompress(input: Uint8Array | ArrayBuffer, opts?: CodecOptions): Promise<Buffer> {
  const stack = new Error();
  try {
    const data = ownCopy(input);
    const r = resolveOptions(opts);
    throwIfAborted(r.signal);
    const q = new InOrder<Uint8Array>(framesInFlight(r.engine, r.threads), r.signal);
    const out: Uint8Array[] = [];
    const walk = framesToDecode(data, r)[Symbol.iterator]();
    for (;;) {
      let next: IteratorResult<{ bytes: Uint8Array; header: FrameHeader; at: number }>;
      let model;
      try {
        next = walk.next();
        if (next.done) break;
        model = modelForFrame(r, next.value);
      } catch (e) {
        // Damage found reading ahead: frames before it fail first, if they do.
        return await q.fail(e);
      }
      if (q.full) out.push(await q.next());
      const f = next.value;
      q.start(r.engine.decompressFrameAsync(model, f.bytes, { threads: r.threads, signal: q.signal }).catch((e) => {
        throw atFrame(e, f);
      }));
    }
    while (q.size > 0) out.push(await q.next());
    q.close();
    return concat(out);
  } catch (e) {
    throw withStack(e, stack);
  }
}

/** Compress many buffers at once; results in input order. */
export async function compressBatch(inputs: (Uint8Array | string)[], opts?: CompressOptions): Promise<Buffer[]> {
  return batch(inputs, opts, compress);
}

export async function decompressBatch(inputs: Uint8Array[], opts?: CodecOptions): Promise<Buffer[]> {
  return batch(inputs, opts, decompress);
}

async function batch<I, O extends CodecOptions>(inputs: I[], opts: O | undefined, fn: (i: I, o: O) => Promise<Buffer>): Promise<Buffer[]> {
  if (!Array.isArray(inputs)) throw invalidArg('inputs', 'an array of buffers', inputs);
  const r = resolveOptions(opts);
  // Small inputs are independent jobs: run as many at once as there are
  // threads, each single-threaded, so many small files still fill the machine.
  const width = Math.max(1, Math.min(r.threads, inputs.length));
  const per = { ...(opts ?? {}), threads: Math.max(1, Math.floor(r.threads / width)) } as O;
  const out: Buffer[] = new Array(inputs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < inputs.length) {
        const i = next++;
        out[i] = await fn(inputs[i], per);
      }
    }),
  );
  return out;
}

/** Keep the caller's stack on errors that surface from async work. */
function withStack(e: unknown, stack: Error): unknown {
  if (e instanceof NncError && stack.stack && !e.stack?.includes(stack.stack.split('\n')[2] ?? '\0')) {
    e.stack = `${e.name} [${e.code}]: ${e.message}\n${stack.stack.split('\n').slice(1).join('\n')}`;
  }
  return e;
}
