/**
 * Transform streams for `pipeline`: memory stays bounded by about one frame
 * (frameSize of input when compressing; one frame, ≤ 64 MiB + 36 bytes for
 * any archive a writer produces, when decompressing) whatever the stream's
 * length, the chunk sizes, or how fast the consumer reads. Input is copied
 * once as it arrives, so the copying is linear in the input.
 *
 * Cancellation: `signal` in the options destroys the stream with ABORT_ERR,
 * and destroying the stream (pipeline failing, the consumer going away)
 * cancels the frame job in flight, so its CPU and memory are freed at once.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { atFrame } from './api.js';
import { abortError } from './errors.js';
import { type ArchiveItem, ArchiveReader, ArchiveTally, storedChecksum } from './format/archive.js';
import {
  type CodecOptions, type CompressOptions, type Resolved, modelForFrame, modelOf, resolveOptions, throwIfAborted,
} from './options.js';

/**
 * A Transform whose in-flight frame job stops when it is destroyed or
 * `r.signal` aborts. `push` hands output on and waits while the consumer is
 * behind (the readable side is over its high-water mark), so a stalled
 * consumer stalls the coding instead of letting output pile up in memory.
 */
function cancellable(
  r: Resolved,
  transform: (chunk: Buffer, io: StreamIo) => Promise<void>,
  flush: (io: StreamIo) => Promise<void>,
): Transform {
  const ac = new AbortController();
  // The frame job in flight, if any: destroying waits for it to stop, so
  // 'error'/'close' (and pipeline's rejection) come once its memory is freed.
  let inflight: Promise<void> | undefined;
  // Resolved by the next _read(): the consumer wants more.
  let wakeReader: (() => void) | undefined;
  const track = (p: Promise<void>, cb: TransformCallback): void => {
    inflight = p;
    p.then(() => cb(), (e: Error) => cb(e)).finally(() => {
      if (inflight === p) inflight = undefined;
    });
  };
  const io: StreamIo = {
    signal: ac.signal,
    push: async (data) => {
      if (t.push(data)) return;
      throwIfAborted(ac.signal);
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(abortError(ac.signal.reason));
        wakeReader = () => {
          ac.signal.removeEventListener('abort', onAbort);
          resolve();
        };
        ac.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      track(transform(chunk, io), cb);
    },
    flush(cb: TransformCallback) {
      track(flush(io), cb);
    },
    read(size: number) {
      const wake = wakeReader;
      wakeReader = undefined;
      wake?.();
      // Transform's own _read hands the pending write callback back.
      Transform.prototype._read.call(this, size);
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

interface StreamIo {
  signal: AbortSignal;
  /** Push output; resolves once the consumer can take more. */
  push(data: Uint8Array): Promise<void>;
}

/**
 * Compression. Written chunks are copied into the frame being filled as they
 * arrive, so a producer may reuse its buffer as soon as write() calls back
 * (as node:zlib and fs streams allow). Each full frame is coded, then the
 * end record closes the archive.
 */
export function createCompressStream(opts?: CompressOptions): Transform {
  const r = resolveOptions(opts);
  const model = modelOf(r).for(r.engine);
  const tally = new ArchiveTally();
  let frame: Buffer | undefined; // the frame being filled: `size` bytes of r.frameSize
  let size = 0;

  const emit = async (io: StreamIo, content: Uint8Array): Promise<void> => {
    const coded = await r.engine.compressFrameAsync(model, content, { laneSize: r.laneSize, threads: r.threads, signal: io.signal });
    tally.add(content.length, storedChecksum(coded));
    await io.push(coded);
  };

  return cancellable(
    r,
    async (chunk, io) => {
      for (let p = 0; p < chunk.length; ) {
        // A fresh buffer per frame: an engine may still hold the last one.
        frame ??= Buffer.allocUnsafe(r.frameSize);
        const n = Math.min(chunk.length - p, r.frameSize - size);
        chunk.copy(frame, size, p, p + n);
        size += n;
        p += n;
        if (size === r.frameSize) {
          const full = frame;
          frame = undefined;
          size = 0;
          await emit(io, full);
        }
      }
    },
    async (io) => {
      // An empty stream is one empty frame; otherwise the rest, if any.
      if (size > 0 || tally.frames === 0n) await emit(io, frame ? frame.subarray(0, size) : new Uint8Array(0));
      frame = undefined;
      await io.push(tally.endRecord());
    },
  );
}

/**
 * Decompression, frame by frame: memory holds about one frame whatever the
 * chunking (input is copied as it arrives, for the same reason as above, and
 * joined once per frame) and whatever the consumer (see cancellable()).
 */
export function createDecompressStream(opts?: CodecOptions): Transform {
  const r = resolveOptions(opts);
  const reader = new ArchiveReader();
  // Unconsumed input: `size` bytes in `chunks`, joined only when a frame (or
  // a header) spans chunks.
  let chunks: Buffer[] = [];
  let size = 0;
  // The frame whose header was read and whose bytes are still arriving.
  let pending: (ArchiveItem & { kind: 'frame' }) | undefined;

  /** The first n ≤ size bytes, contiguous. */
  const head = (n: number): Buffer => {
    if (chunks[0].length < n) chunks = [Buffer.concat(chunks, size)];
    return chunks[0].subarray(0, n);
  };
  const consume = (n: number): void => {
    while (n > 0) {
      const c = chunks[0];
      if (c.length > n) {
        chunks[0] = c.subarray(n);
        size -= n;
        return;
      }
      chunks.shift();
      size -= c.length;
      n -= c.length;
    }
  };

  return cancellable(
    r,
    async (chunk, io) => {
      if (chunk.length === 0) return;
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
      for (;;) {
        if (!pending) {
          if (size === 0) return;
          const need = reader.headSize(head(Math.min(size, 4)));
          if (size < need) return;
          const item = reader.item(head(need));
          if (item.kind === 'end') {
            consume(item.size);
            continue;
          }
          pending = item;
        }
        if (size < pending.size) return;
        const { at, header, size: n } = pending;
        const bytes = head(n);
        reader.frameDone(bytes);
        pending = undefined;
        let out: Uint8Array;
        try {
          out = await r.engine.decompressFrameAsync(modelForFrame(r, header), bytes, { threads: r.threads, signal: io.signal });
        } catch (e) {
          throw atFrame(e, { at, header });
        }
        consume(n);
        await io.push(out);
      }
    },
    async () => {
      reader.finish(size > 0 ? head(size) : undefined);
    },
  );
}
