/**
 * compress / decompress in the shape of node:zlib. The facade cuts input into
 * frames and walks concatenated frames; engines code one frame at a time.
 */
import { ErrorCodes, NncError, invalidArg } from './errors.js';
import { FRAME_HEADER_SIZE, METHOD_STORED, parseFrameHeader } from './format/frame.js';
import type { Engine, EngineModel } from './engine/types.js';
import {
  type CodecOptions, type CompressOptions, type Resolved, modelOf, resolveOptions, throwIfAborted, toBytes,
} from './options.js';

function frames(input: Uint8Array, frameSize: number): Uint8Array[] {
  if (input.length === 0) return [input];
  const out: Uint8Array[] = [];
  for (let p = 0; p < input.length; p += frameSize) out.push(input.subarray(p, Math.min(input.length, p + frameSize)));
  return out;
}

const concat = (parts: Uint8Array[]): Buffer =>
  parts.length === 1 && Buffer.isBuffer(parts[0]) ? parts[0] : Buffer.concat(parts);

/** Split an archive into its frames, validating headers (not payloads). */
export function splitFrames(archive: Uint8Array): Uint8Array[] {
  return [...eachFrame(archive)];
}

/**
 * The frames of an archive one at a time, each header validated only when
 * it is reached: decoding then fails at the same place, with the same code,
 * as the stream decoder, which cannot look ahead (a damaged third frame is
 * found after the first two were decoded, whichever API reads it).
 */
function* eachFrame(archive: Uint8Array): Generator<Uint8Array> {
  if (archive.length === 0) {
    throw new NncError(ErrorCodes.TRUNCATED, 'archive is empty: an .nnc archive holds at least one frame');
  }
  for (let p = 0; p < archive.length; ) {
    const h = parseFrameHeader(archive, p);
    yield archive.subarray(p, p + h.frameSize);
    p += h.frameSize;
  }
}

/** The model a frame needs, or null for stored frames. */
function modelFor(frame: Uint8Array, r: Resolved, engine: Engine): EngineModel | null {
  if (frame[5] === METHOD_STORED && frame.length >= FRAME_HEADER_SIZE) return null;
  return modelOf(r).for(engine);
}

export function compressSync(input: Uint8Array | ArrayBuffer | string, opts?: CompressOptions): Buffer {
  const data = toBytes(input);
  const r = resolveOptions(opts);
  const m = modelOf(r).for(r.engine);
  return concat(frames(data, r.frameSize).map((f) => r.engine.compressFrame(m, f, r)));
}

export function decompressSync(input: Uint8Array | ArrayBuffer, opts?: CodecOptions): Buffer {
  const data = toBytes(input);
  const r = resolveOptions(opts);
  const out: Uint8Array[] = [];
  for (const f of eachFrame(data)) out.push(r.engine.decompressFrame(modelFor(f, r, r.engine), f, r));
  return concat(out);
}

export async function compress(input: Uint8Array | ArrayBuffer | string, opts?: CompressOptions): Promise<Buffer> {
  const stack = new Error();
  try {
    const data = toBytes(input);
    const r = resolveOptions(opts);
    const m = modelOf(r).for(r.engine);
    const out: Uint8Array[] = [];
    for (const f of frames(data, r.frameSize)) {
      // r carries the signal: an abort also stops the frame job in flight.
      throwIfAborted(r.signal);
      out.push(await r.engine.compressFrameAsync(m, f, r));
    }
    return concat(out);
  } catch (e) {
    throw withStack(e, stack);
  }
}

export async function decompress(input: Uint8Array | ArrayBuffer, opts?: CodecOptions): Promise<Buffer> {
  const stack = new Error();
  try {
    const data = toBytes(input);
    const r = resolveOptions(opts);
    const out: Uint8Array[] = [];
    for (const f of eachFrame(data)) {
      throwIfAborted(r.signal);
      out.push(await r.engine.decompressFrameAsync(modelFor(f, r, r.engine), f, r));
    }
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
