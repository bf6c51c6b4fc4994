/**
 * Progress on stderr, one status line redrawn in place (StatusLine): the
 * file jobs' `name  12.0 MB / 48.0 MB  25%  3.1 MB/s` (Progress) and nnc
 * train's epochs (cli/train.ts). Only drawn when stderr is a terminal and the
 * user did not ask for quiet, at most ten times a second, and erased before
 * any other message and when the work ends (so it never ends up in a log or
 * interleaves with messages).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes } from './text.js';

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export const INTERVAL_MS = 100;
/** Do not draw anything for work that finishes quickly. */
const DELAY_MS = 500;

/** The one line being redrawn; nothing is written when `out` is undefined (not a terminal, or quiet). */
export class StatusLine {
  private drawn = false;

  constructor(private readonly out: ProgressSink | undefined) {}

  get active(): boolean {
    return this.out !== undefined;
  }

  /**
   * Replace the line. One wider than the terminal is cut (it would wrap, and
   * only its last row would be erased): its start is dropped (a long file
   * name), or with `keepStart` its end.
   */
  draw(line: string, keepStart = false): void {
    if (!this.out) return;
    const width = (this.out.columns || 80) - 1; // 0 when the terminal size is unknown
    if (line.length > width) line = keepStart ? line.slice(0, width - 1) + '…' : '…' + line.slice(line.length - width + 1);
    this.out.write(`\r\x1b[K${line}`);
    this.drawn = true;
  }

  /** Erase the line, if one is drawn (before any other output, and at the end). */
  clear(): void {
    if (this.drawn) this.out!.write('\r\x1b[K');
    this.drawn = false;
  }
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private readonly line: StatusLine;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    out: ProgressSink | undefined,
    private readonly label: string,
    private readonly total: number | undefined,
  ) {
    this.line = new StatusLine(out);
    if (!out) return;
    // Redraw on a clock, not per chunk: the codec works a whole frame (4 MiB) at a
    // time, and the elapsed time shows it is alive while no bytes move.
    this.timer = setTimeout(() => {
      this.draw();
      this.timer = setInterval(() => this.draw(), INTERVAL_MS);
      this.timer.unref();
    }, DELAY_MS);
    this.timer.unref();
  }

  add(n: number): void {
    this.done += n;
  }

  private draw(): void {
    const secs = (Date.now() - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    let line = `${this.label}  ${formatBytes(this.done)}`;
    if (this.total !== undefined && this.total > 0) {
      // Bytes read run up to one frame ahead of bytes coded: never claim 100% before the end.
      line += ` / ${formatBytes(this.total)}  ${Math.min(99, Math.floor((100 * this.done) / this.total))}%`;
    }
    line += `  ${(rate / 1e6).toFixed(2)} MB/s  ${secs.toFixed(0)} s`;
    this.line.draw(line);
  }

  /** Stop and erase the line (call on success and on failure). */
  end(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    this.line.clear();
  }

  /** A pass-through stream that reports the bytes flowing through it. */
  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        this.add(chunk.length);
        cb(null, chunk);
      },
    });
  }
}
