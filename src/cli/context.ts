/**
 * What every CLI command shares: the streams it talks to, the parsed options,
 * the library options, and the running exit status (the worst outcome seen:
 * error 1 beats warning 2 beats success 0, as in gzip).
 */
import type { Readable, Writable } from 'node:stream';
import type { CliOptions } from './args.js';
import { describeError } from './text.js';
import type { loadModel } from '../index.js';
import type { EngineChoice } from '../engine/select.js';

export type Model = ReturnType<typeof loadModel>;

export type InStream = Readable & { isTTY?: boolean };
export type OutStream = Writable & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
  /** Install SIGINT/SIGTERM handlers that remove temporary files (default: true). */
  signals?: boolean;
}

/** Options passed to the library's compress/decompress streams. */
export interface LibOptions {
  model?: Model;
  modelPath?: string;
  engine?: EngineChoice;
  threads?: number;
  level?: number;
  laneSize?: number;
  frameSize?: number;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_WARNING = 2;

const SEVERITY: Record<number, number> = { [EXIT_OK]: 0, [EXIT_WARNING]: 1, [EXIT_ERROR]: 2 };

export class Context {
  status = EXIT_OK;
  /** Set when writing to stdout failed (e.g. EPIPE): nothing more can be written there. */
  stdoutError: Error | undefined;
  /** The engine doing the work, for -v (filled in once the options are known). */
  engine = 'auto';

  constructor(
    readonly io: CliIo,
    readonly opts: CliOptions,
    readonly lib: LibOptions,
  ) {}

  raise(code: number): void {
    if (SEVERITY[code] > SEVERITY[this.status]) this.status = code;
  }

  /** `nnc: NAME: message (CODE)` on stderr, exit status 1. */
  error(name: string | undefined, e: unknown): void {
    this.raise(EXIT_ERROR);
    this.io.stderr.write(`nnc: ${name ? `${name}: ` : ''}${typeof e === 'string' ? e : describeError(e)}\n`);
  }

  /** A warning (suppressed by -q); exit status 2 unless something worse happened. */
  warn(name: string | undefined, message: string): void {
    this.raise(EXIT_WARNING);
    if (this.opts.verbosity > 0) this.io.stderr.write(`nnc: ${name ? `${name}: ` : ''}${message}\n`);
  }

  /**
   * A warning that leaves the exit status alone (suppressed by -q): the work
   * was done, but the user should know something about it (e.g. a file that
   * did not compress).
   */
  notice(name: string | undefined, message: string): void {
    if (this.opts.verbosity > 0) this.io.stderr.write(`nnc: ${name ? `${name}: ` : ''}${message}\n`);
  }

  /** Extra information for -v. */
  info(message: string): void {
    if (this.opts.verbosity > 1) this.io.stderr.write(`nnc: ${message}\n`);
  }

  /** The stream for progress lines, or undefined when none should be drawn. */
  progressSink(): OutStream | undefined {
    return this.io.stderr.isTTY && this.opts.verbosity > 0 ? this.io.stderr : undefined;
  }
}

/** How a file name appears in messages. */
export const displayName = (file: string): string => (file === '-' ? 'stdin' : file);
