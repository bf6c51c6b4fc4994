/**
 * node:zlib's two calling styles for the async Buffer APIs: without a
 * callback they return a Promise (as zlib's promisified forms do); with one,
 * `compress(buf, cb)` or `compress(buf, opts, cb)` calls `cb(err, result)`
 * like `zlib.gzip`. The callback runs asynchronously exactly once, argument
 * errors included, and outside the promise chain, so an exception it throws
 * is an uncaught exception (as with zlib), not a silent unhandled rejection.
 */
import * as api from './api.js';
import { invalidArg } from './errors.js';
import type { CodecOptions, CompressOptions } from './options.js';

export type Callback = (error: Error | null, result?: Buffer) => void;
type Input = Uint8Array | ArrayBuffer | string;

function call<O>(
  fn: (input: never, opts?: O) => Promise<Buffer>,
  input: unknown,
  optsOrCallback: O | Callback | undefined,
  callback: Callback | undefined,
): Promise<Buffer> | void {
  let opts = optsOrCallback as O | undefined;
  if (typeof optsOrCallback === 'function') {
    if (callback !== undefined) throw invalidArg('options', 'an object', optsOrCallback);
    callback = optsOrCallback as Callback;
    opts = undefined;
  }
  if (callback === undefined) return fn(input as never, opts);
  if (typeof callback !== 'function') throw invalidArg('callback', 'a function', callback);
  const cb = callback;
  fn(input as never, opts).then(
    (result) => process.nextTick(cb, null, result),
    (error: Error) => process.nextTick(cb, error),
  );
}

/** Compress `input` (Promise, or node:zlib callback style). */
export function compress(input: Input, callback: Callback): void;
export function compress(input: Input, options: CompressOptions | undefined, callback: Callback): void;
export function compress(input: Input, options?: CompressOptions): Promise<Buffer>;
export function compress(input: Input, options?: CompressOptions | Callback, callback?: Callback): Promise<Buffer> | void {
  return call(api.compress, input, options, callback);
}

/** Decompress an archive (Promise, or node:zlib callback style). */
export function decompress(input: Uint8Array | ArrayBuffer, callback: Callback): void;
export function decompress(input: Uint8Array | ArrayBuffer, options: CodecOptions | undefined, callback: Callback): void;
export function decompress(input: Uint8Array | ArrayBuffer, options?: CodecOptions): Promise<Buffer>;
export function decompress(input: Uint8Array | ArrayBuffer, options?: CodecOptions | Callback, callback?: Callback): Promise<Buffer> | void {
  return call(api.decompress, input, options, callback);
}
