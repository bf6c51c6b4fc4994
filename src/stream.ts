/**
 * Transform streams for `pipeline`: memory stays bounded by a few frames (the
 * engine's frames in flight: frameSize of input each when compressing; one
 * frame, ≤ 64 MiB + 36 bytes for any archive a writer produces, each when
 * decompressing) whatever the stream's
 * length, the chunk sizes, or how fast the consumer reads. Input is copied
 * once as it arrives, so the copying is linear in the input.
 *
 * Cancellation: `signal` in the options destroys the stream with ABORT_ERR,
 * and destroying the stream (pipeline failing, the consumer going away)
 * cancels the frame jobs in flight, so their CPU and memory are freed at once.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { atFrame } from './api.js';
import { abortError } from './errors.js';
import { type ArchiveItem, ArchiveReader, ArchiveTally } from './format/archive.js';
import { InOrder, framesInFlight } from './in-flight.js';
import {
  type CodecOptions, type CompressOptions, type Resolved, candidatesOf, frameOptions, givenModel, isAuto, modelForContentAsync, modelForFrame, resolveOptions,
  throwIfAborted,
} from './options.js';

/**
 * The frames in flight of one stream, delivered in order. Jobs are added by
 * the transform; a loop hands each result on as soon as it and every frame
 * before it are done (so output does not wait for more input), through
 * `deliver`, which waits while the consumer is behind. add() waits while the
 * window is full, so input stops being taken in: memory stays bounded by
 * `width` frames of input and of output.
 */
class FramePump {
  private readonly q: InOrder<Uint8Array>;
  private running: Promise<void> | undefined;
  private failed: { error: unknown } | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    width: number,
    signal: AbortSignal,
    private readonly deliver: (out: Uint8Array) => Promise<void>,
    private readonly onFailure: (e: unknown) => void,
  ) {
    this.q = new InOrder<Uint8Array>(width, signal);
  }

  /** The signal each job must take: aborted with the stream, or when a job fails. */
  get signal(): AbortSignal {
    return this.q.signal;
  }

  /** Start a job; resolves once there is room for the next (throws the first failure). */
  async add(job: Promise<Uint8Array>): Promise<void> {
    // Owned first (its rejection handled by the window), then the check: a
    // job handed to a failed pump is cancelled with the rest on destroy.
    this.q.start(job);
    this.check();
    // The loop starts in a microtask and clears `running` in the same tick
    // as its last look at the window, so no job is ever left undelivered.
    this.running ??= Promise.resolve().then(() => this.loop());
    while (this.q.full && !this.failed) await new Promise<void>((r) => this.waiters.push(r));
    this.check();
  }

  /** Wait until every job was delivered; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    this.check();
  }

  /** Cancel every job and wait until all stopped. */
  async cancel(): Promise<void> {
    await this.q.cancel();
    while (this.running) await this.running;
  }

  private check(): void {
    if (this.failed) throw this.failed.error;
  }

  private async loop(): Promise<void> {
    try {
      while (this.q.size > 0) {
        const out = await this.q.next();
        this.wake();
        await this.deliver(out);
      }
    } catch (e) {
      this.failed ??= { error: e };
      this.wake();
      this.onFailure(e);
    }
    this.running = undefined;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/**
 * A Transform whose frame jobs stop when it is destroyed or `r.signal`
 * aborts. Output goes through a FramePump: handed on in order, waiting while
 * the consumer is behind (the readable side is over its high-water mark), so
 * a stalled consumer stalls the coding instead of letting output pile up in
 * memory.
 */
function cancellable(
  r: Resolved,
  transform: (chunk: Buffer, io: StreamIo) => Promise<void>,
  flush: (io: StreamIo) => Promise<void>,
  delivered: (out: Uint8Array) => void = () => undefined,
): Transform {
  const ac = new AbortController();
  // The transform/flush call in progress, if any: destroying waits for it and
  // for the frame jobs to stop, so 'error'/'close' (and pipeline's rejection)
  // come once their memory is freed.
  let inflight: Promise<void> | undefined;
  // Resolved by the next _read(): the consumer wants more.
  let wakeReader: (() => void) | undefined;
  const track = (p: Promise<void>, cb: TransformCallback): void => {
    inflight = p;
    p.then(() => cb(), (e: Error) => cb(e)).finally(() => {
      if (inflight === p) inflight = undefined;
    });
  };
  const push = async (data: Uint8Array): Promise<void> => {
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
  };
  // A job that fails while no transform call runs (none would see it) ends the stream.
  const deliver = (out: Uint8Array): Promise<void> => {
    delivered(out);
    return push(out);
  };
  const pump = new FramePump(framesInFlight(r.engine, r.threads), ac.signal, deliver, (e) => {
    if (!inflight && !t.destroyed) t.destroy(e as Error);
  });
  const io: StreamIo = { pump, push };
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
      const stopped = [pump.cancel(), inflight ?? Promise.resolve()];
      Promise.allSettled(stopped).then(() => cb(err));
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
  /** Frame jobs in flight, their output handed on in order. */
  pump: FramePump;
  /** Push output directly (after pump.drain()); resolves once the consumer can take more. */
  push(data: Uint8Array): Promise<void>;
}

/**
 * Compression. Written chunks are copied into the frame being filled as they
 * arrive, so a producer may reuse its buffer as soon as write() calls back
 * (as node:zlib and fs streams allow). Each full frame is coded (several at
 * once, as the engine takes them), then the end record closes the archive.
 */
export function createCompressStream(opts?: CompressOptions): Transform {
  const r = resolveOptions(opts);
  // A given model that does not load, or no model to choose from, fails here, at creation.
  if (isAuto(r)) candidatesOf(r);
  else givenModel(r)!.for(r.engine);
  const tally = new ArchiveTally();
  let frame: Buffer | undefined; // the frame being filled: `size` bytes of r.frameSize
  let size = 0;
  let started = 0; // frames handed to the engine

  const emit = async (io: StreamIo, content: Uint8Array): Promise<void> => {
    started++;
    const signal = io.pump.signal;
    // model 'auto': the frame's model is chosen inside its job, so frames in flight are chosen in parallel.
    await io.pump.add(
      modelForContentAsync(r, content, signal).then((m) => r.engine.compressFrameAsync(m, content, frameOptions(r, content.length, signal))),
    );
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
      if (size > 0 || started === 0) await emit(io, frame ? frame.subarray(0, size) : new Uint8Array(0));
      frame = undefined;
      await io.pump.drain();
      await io.push(tally.endRecord());
    },
    // Counted as delivered, in order (jobs may finish in any order).
    (coded) => tally.addFrame(coded),
  );
}

/**
 * Decompression, frame by frame: memory holds about `framesInFlight` frames
 * whatever the chunking (input is copied as it arrives, for the same reason
 * as above, and joined once per frame) and whatever the consumer.
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
  /**
   * Damage found reading ahead (a later header, the end record) is reported
   * only once the frames before it are delivered: if one of them fails, its
   * error comes first, as in a decoder that reads one frame at a time.
   */
  const inOrder = async <T>(io: StreamIo, step: () => T): Promise<T> => {
    try {
      return step();
    } catch (e) {
      await io.pump.drain();
      throw e;
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
          const need = await inOrder(io, () => reader.headSize(head(Math.min(size, 4))));
          if (size < need) return;
          const item = await inOrder(io, () => reader.item(head(need)));
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
        const model = await inOrder(io, () => modelForFrame(r, { header, bytes, at }));
        // The job holds `bytes` (our own copy of the input) until it is done.
        const job = r.engine.decompressFrameAsync(model, bytes, { threads: r.threads, signal: io.pump.signal });
        consume(n);
        await io.pump.add(
          job.catch((e) => {
            throw atFrame(e, { at, header });
          }),
        );
      }
    },
    async (io) => {
      await inOrder(io, () => reader.finish(size > 0 ? head(size) : undefined));
      await io.pump.drain();
    },
  );
}
