/**
 * Transform streams for `pipeline`: memory stays bounded by one frame
 * (frameSize of input when compressing; one frame, ≤ 64 MiB + 36 bytes for
 * any archive a writer produces, when decompressing) whatever the stream's
 * length. Input is kept as a list of chunks and joined once per frame, so
 * the copying is linear in the input whatever the chunk size.
 *
 * Cancellation: `signal` in the options destroys the stream with ABORT_ERR,
 * and destroying the stream (pipeline failing, the consumer going away)
 * cancels the frame job in flight, so its CPU and memory are freed at once.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCodes, NncError, abortError } from './errors.js';
import { FRAME_HEADER_SIZE, METHOD_STORED, checkMagicPrefix, parseFrameHeader } from './format/frame.js';
import { type CodecOptions, type CompressOptions, type Resolved, modelOf, resolveOptions } from './options.js';

/** A Transform whose in-flight frame job stops when it is destroyed or `r.signal` aborts. */
function cancellable(
  r: Resolved,
  transform: (t: Transform, chunk: Buffer, signal: AbortSignal) => Promise<void>,
  flush: (t: Transform, signal: AbortSignal) => Promise<void>,
): Transform {
  const ac = new AbortController();
  // The frame job in flight, if any: destroying waits for it to stop, so
  // 'error'/'close' (and pipeline's rejection) come once its memory is freed.
  let inflight: Promise<void> | undefined;
  const track = (p: Promise<void>, cb: TransformCallback): void => {
    inflight = p;
    p.then(() => cb(), (e: Error) => cb(e)).finally(() => {
      if (inflight === p) inflight = undefined;
    });
  };
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      track(transform(this, chunk, ac.signal), cb);
    },
    flush(cb: TransformCallback) {
      track(flush(this, ac.signal), cb);
    },
    destroy(err, cb) {
      r.signal?.removeEventListener('abort', onAbort);
      ac.abort(err ?? abortError());
      if (!inflight) return cb(err);
      inflight.then(() => cb(err), () => cb(err));
    },
  });
  const onAbort = (): void => {
    t.destroy(abortError(r.signal?.reason));
  };
  if (r.signal?.aborted) queueMicrotask(onAbort);
  else r.signal?.addEventListener('abort', onAbort, { once: true });
  return t;
}

export function createCompressStream(opts?: CompressOptions): Transform {
  const r = resolveOptions(opts);
  const model = modelOf(r).for(r.engine);
  let parts: Buffer[] = [];
  let size = 0;
  let wroteFrame = false;

  const emit = async (t: Transform, content: Uint8Array, signal: AbortSignal) => {
    t.push(await r.engine.compressFrameAsync(model, content, { laneSize: r.laneSize, threads: r.threads, signal }));
    wroteFrame = true;
  };

  return cancellable(
    r,
    async (t, chunk, signal) => {
      parts.push(chunk);
      size += chunk.length;
      if (size < r.frameSize) return;
      const all = Buffer.concat(parts, size);
      let p = 0;
      for (; all.length - p >= r.frameSize; p += r.frameSize) await emit(t, all.subarray(p, p + r.frameSize), signal);
      parts = p < all.length ? [all.subarray(p)] : [];
      size = all.length - p;
    },
    async (t, signal) => {
      if (size === 0 && wroteFrame) return;
      await emit(t, Buffer.concat(parts, size), signal);
    },
  );
}

export function createDecompressStream(opts?: CodecOptions): Transform {
  const r = resolveOptions(opts);
  // Unconsumed input: `size` bytes in `chunks`, joined only when a frame (or
  // a header) spans chunks.
  let chunks: Buffer[] = [];
  let size = 0;
  let sawFrame = false;

  /** The first n ≤ size bytes, contiguous. */
  const head = (n: number): Buffer => {
    if (chunks[0].length < n) chunks = [Buffer.concat(chunks, size)];
    return chunks[0].subarray(0, n);
  };
  const consume = (n: number): void => {
    chunks[0] = chunks[0].subarray(n);
    if (chunks[0].length === 0) chunks.shift();
    size -= n;
  };

  return cancellable(
    r,
    async (t, chunk, signal) => {
      if (chunk.length === 0) return;
      chunks.push(chunk);
      size += chunk.length;
      while (size >= FRAME_HEADER_SIZE) {
        const h = parseFrameHeader(head(FRAME_HEADER_SIZE), 0, false);
        if (size < h.frameSize) return;
        const frame = head(h.frameSize);
        const model = frame[5] === METHOD_STORED ? null : modelOf(r).for(r.engine);
        t.push(await r.engine.decompressFrameAsync(model, frame, { threads: r.threads, signal }));
        sawFrame = true;
        consume(h.frameSize);
      }
      // Fewer bytes than a header: check the magic early so garbage fails fast.
      if (size > 0) checkMagicPrefix(head(Math.min(size, 4)), 0);
    },
    async () => {
      if (size > 0) parseFrameHeader(head(size), 0, true);
      if (!sawFrame) throw new NncError(ErrorCodes.TRUNCATED, 'archive is empty: an .nnc archive holds at least one frame');
    },
  );
}
