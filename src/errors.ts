/**
 * Typed errors with stable codes. The code is the contract (scripts switch on
 * it); the message is for people and says what to do next.
 */
export const ErrorCodes = {
  TRUNCATED: 'ERR_NNC_TRUNCATED',
  CORRUPT: 'ERR_NNC_CORRUPT',
  CHECKSUM: 'ERR_NNC_CHECKSUM',
  UNSUPPORTED: 'ERR_NNC_UNSUPPORTED',
  MODEL_MISMATCH: 'ERR_NNC_MODEL_MISMATCH',
  BAD_MODEL: 'ERR_NNC_BAD_MODEL',
  INVALID_ARG: 'ERR_NNC_INVALID_ARG',
  ENGINE_UNAVAILABLE: 'ERR_NNC_ENGINE_UNAVAILABLE',
  /** A trainer method was called while an async call on it is running. */
  BUSY: 'ERR_NNC_BUSY',
  ABORTED: 'ABORT_ERR',
  INTERNAL: 'ERR_NNC_INTERNAL',
  /** A Buffer API's output would exceed `maxOutputLength` (checked from headers, before decoding). */
  OUTPUT_TOO_LARGE: 'ERR_NNC_OUTPUT_TOO_LARGE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const CODES = new Set<string>(Object.values(ErrorCodes));

export class NncError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NncError';
    this.code = code;
  }
}

export function isNncError(e: unknown): e is NncError {
  return e instanceof NncError;
}

/** `Expected ${expected} for ${name} but received ${actual}` — one format for every argument check. */
export function invalidArg(name: string, expected: string, actual: unknown): NncError {
  return new NncError(
    ErrorCodes.INVALID_ARG,
    `Expected ${expected} for ${name} but received ${describe(actual)}`,
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Buffer.isBuffer(v)) return `Buffer(${v.length})`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
}

/**
 * The error of a cancelled call, shaped like Node's own AbortError (name
 * 'AbortError', code 'ABORT_ERR', the signal's reason as `cause`) so code
 * written for fs/zlib/fetch cancellation recognises it; still an NncError.
 */
export function abortError(reason?: unknown): NncError {
  const e = new NncError(ErrorCodes.ABORTED, 'The operation was aborted', { cause: reason });
  e.name = 'AbortError';
  return e;
}

/**
 * Turn an error thrown by the native addon (a plain Error with a `code`) into
 * an NncError. `stackFrom` is an Error created *before* the async call, so the
 * user sees where they called us, not a libuv callback.
 */
export function fromNative(e: unknown, stackFrom?: Error): Error {
  let out: NncError;
  if (e instanceof NncError) {
    out = e;
  } else {
    const err = e as { code?: string; message?: string };
    const code = (err && typeof err.code === 'string' && CODES.has(err.code) ? err.code : ErrorCodes.INTERNAL) as ErrorCode;
    out = new NncError(code, err?.message ?? String(e), { cause: e });
  }
  const code = out.code;
  if (stackFrom?.stack) {
    out.stack = `${out.name} [${code}]: ${out.message}\n${stackFrom.stack.split('\n').slice(1).join('\n')}`;
  }
  return out;
}
