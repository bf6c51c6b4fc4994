/**
 * A one-line progress indicator on stderr: `name  12.0 MB / 48.0 MB  25%  3.1 MB/s`.
 * Only drawn when stderr is a terminal and the user did not ask for quiet, at
 * most ten times a second, and erased when the work ends (so it never ends up
 * in a log or interleaves with messages).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes } from './format.js';

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
  private last = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressSink | undefined,
    private readonly label: string,
    private readonly total: number | undefined,
  ) {}

  add(n: number): void {
    this.done += n;
    if (!this.out) return;
    const now = Date.now();
    if (now - this.start < DELAY_MS || now - this.last < INTERVAL_MS) return;
    this.last = now;
    this.draw(now);
  }

  private draw(now: number): void {
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    let line = `${this.label}  ${formatBytes(this.done)}`;
    if (this.total !== undefined && this.total > 0) {
      line += ` / ${formatBytes(this.total)}  ${Math.min(100, Math.floor((100 * this.done) / this.total))}%`;
    }
    line += `  ${(rate / 1e6).toFixed(1)} MB/s`;
    const width = (this.out!.columns ?? 80) - 1;
    if (line.length > width) line = '…' + line.slice(line.length - width + 1);
    this.out!.write(`\r\x1b[K${line}`);
    this.drawn = true;
  }

  /** Erase the line (call on success and on failure). */
  end(): void {
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
