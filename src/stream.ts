/**
 * Transform streams for `pipeline`: memory stays bounded by one frame
 * (frameSize of input when compressing; one frame, ≤ 64 MiB + 36 bytes,
 * when decompressing) whatever the stream's length.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCodes, NncError } from './errors.js';
import { FRAME_HEADER_SIZE, METHOD_STORED, checkMagicPrefix, parseFrameHeader } from './format/frame.js';
import { type CodecOptions, type CompressOptions, modelOf, resolveOptions } from './options.js';

export function createCompressStream(opts?: CompressOptions): Transform {
  const r = resolveOptions(opts);
  const model = modelOf(r).for(r.engine);
  let parts: Buffer[] = [];
  let size = 0;
  let wroteFrame = false;

  const emit = async (t: Transform, content: Uint8Array) => {
    t.push(await r.engine.compressFrameAsync(model, content, r));
    wroteFrame = true;
  };

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      parts.push(chunk);
      size += chunk.length;
      if (size < r.frameSize) return cb();
      const all = Buffer.concat(parts, size);
      const run = async () => {
        let p = 0;
        for (; all.length - p >= r.frameSize; p += r.frameSize) await emit(this, all.subarray(p, p + r.frameSize));
        parts = p < all.length ? [all.subarray(p)] : [];
        size = all.length - p;
      };
      run().then(() => cb(), cb);
    },
    flush(cb: TransformCallback) {
      if (size === 0 && wroteFrame) return cb();
      emit(this, Buffer.concat(parts, size)).then(() => cb(), cb);
    },
  });
}

export function createDecompressStream(opts?: CodecOptions): Transform {
  const r = resolveOptions(opts);
  let buf: Buffer = Buffer.alloc(0);
  let sawFrame = false;

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const run = async () => {
        while (buf.length >= FRAME_HEADER_SIZE) {
          const h = parseFrameHeader(buf, 0, false);
          if (buf.length < h.frameSize) return;
          const frame = buf.subarray(0, h.frameSize);
          const model = frame[5] === METHOD_STORED ? null : modelOf(r).for(r.engine);
          this.push(await r.engine.decompressFrameAsync(model, frame, r));
          sawFrame = true;
          buf = buf.subarray(h.frameSize);
        }
        // Fewer bytes than a header: check the magic early so garbage fails fast.
        checkMagicPrefix(buf, 0);
      };
      run().then(() => cb(), (e) => cb(e));
    },
    flush(cb: TransformCallback) {
      if (buf.length > 0) {
        try {
          parseFrameHeader(buf, 0, true);
        } catch (e) {
          return cb(e as Error);
        }
      }
      if (!sawFrame) return cb(new NncError(ErrorCodes.TRUNCATED, 'archive is empty: an .nnc archive holds at least one frame'));
      cb();
    },
  });
}
