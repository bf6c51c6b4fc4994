/**
 * Several frame jobs in flight, results handed out in order.
 *
 * An engine sees one frame per call; to keep many lanes busy (a GPU needs
 * thousands; the ts engine's worker pool one frame per worker) the facade
 * and the streams start the next frames before the first one is done, up to
 * the engine's `framesInFlight`. Memory stays bounded by that many frames.
 *
 * Errors keep the order a one-frame-at-a-time decoder meets them in: the
 * first job (in input order) that fails decides the error, the jobs after it
 * are cancelled and awaited (their memory freed) before it is thrown; and an
 * error found while reading ahead (a later frame's header) is thrown only
 * after every earlier job finished without error.
 */
import type { Engine } from './engine/types.js';
import { abortError } from './errors.js';

/** How many frames to keep in flight for an engine and a thread count (1 when it does not say). */
export const framesInFlight = (engine: Engine, threads: number): number =>
  Math.max(1, Math.min(64, Math.floor(engine.framesInFlight?.(threads) ?? 1)));

export class InOrder<T> {
  private readonly jobs: Promise<T>[] = [];
  private readonly ac = new AbortController();
  private readonly unlink: () => void;

  /** `outer`: the caller's signal; aborting it cancels every job. */
  constructor(readonly width: number, outer?: AbortSignal) {
    const onAbort = (): void => this.ac.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    outer?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => outer?.removeEventListener('abort', onAbort);
  }

  /** The signal to give each job: aborted when the caller aborts or a job fails. */
  get signal(): AbortSignal {
    return this.ac.signal;
  }

  get size(): number {
    return this.jobs.length;
  }

  get full(): boolean {
    return this.jobs.length >= this.width;
  }

  /** Start a job (its rejection is handled here, in order). */
  start(job: Promise<T>): void {
    job.catch(() => undefined); // observed in next(); never an unhandled rejection meanwhile
    this.jobs.push(job);
  }

  /** The oldest job's result. On its failure every later job is cancelled and awaited first. */
  async next(): Promise<T> {
    const job = this.jobs.shift();
    if (!job) throw new Error('InOrder.next() with no job');
    try {
      return await job;
    } catch (e) {
      await this.cancel(e);
      throw e;
    }
  }

  /**
   * Something failed outside the jobs (reading ahead, pushing output): the
   * earlier jobs' own failure, if any, comes first; then `e`. Cancels the rest.
   */
  async fail(e: unknown): Promise<never> {
    try {
      while (this.jobs.length > 0) await this.next();
    } finally {
      // No job failed (next() would have cancelled and unlinked): stop listening to the caller's signal all the same.
      this.unlink();
    }
    throw e;
  }

  /** Cancel every job and wait until all stopped. */
  async cancel(reason?: unknown): Promise<void> {
    if (!this.ac.signal.aborted) this.ac.abort(reason ?? abortError());
    const rest = this.jobs.splice(0);
    await Promise.allSettled(rest);
    this.unlink();
  }

  /** Done: no job left; stop listening to the caller's signal. */
  close(): void {
    this.unlink();
  }
}
