/**
 * A one-line progress indicator on stderr: `name  12.0 MB / 48.0 MB  25%  3.1 MB/s`.
 * Only drawn when stderr is a terminal and the user did not ask for quiet, at
 * most ten times a second (after the first half second), and erased when the work ends (so it never ends up
 * in a log or interleaves with messages).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes } from './text.js';

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

const INTERVAL_MS = 100;
/** Do not draw anything for work that finishes quickly. */
const DELAY_MS = 500;

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private drawn = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: ProgressSink | undefined,
    private readonly label: string,
    private readonly total: number | undefined,
  ) {
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
    const width = (this.out!.columns || 80) - 1; // 0 when the terminal size is unknown
    if (line.length > width) line = '…' + line.slice(line.length - width + 1);
    this.out!.write(`\r\x1b[K${line}`);
    this.drawn = true;
  }

  /** Stop and erase the line (call on success and on failure). */
  end(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.out!.write('\r\x1b[K');
    this.drawn = false;
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
