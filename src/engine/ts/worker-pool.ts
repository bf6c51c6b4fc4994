/**
 * Runs reference-engine jobs in worker threads so async calls never block
 * the event loop. Workers are unref'd (they never keep a process alive) and
 * cache parsed models by ID. Where the compiled worker script is missing
 * (running the TypeScript sources directly), jobs run on the main thread in
 * a later macrotask instead: still correct, just not parallel.
 *
 * Cancellation: a job whose signal aborts leaves the queue if it has not
 * started; if it is running, its worker is terminated (a JavaScript loop
 * cannot be interrupted otherwise) and replaced on the next job, so its CPU
 * and memory are released at once.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ErrorCodes, NncError, abortError, type ErrorCode } from '../../errors.js';
import type { MixParams } from '../../format/mix-params.js';

export interface Job {
  op: 'compress' | 'decompress';
  model: Uint8Array | null;
  data: Uint8Array;
  laneSize: number;
  /** compress: method 2's parameter block (absent: method 1). */
  mix?: MixParams;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** The id of the job it runs. */
  job?: number;
}

interface Pending {
  resolve: (v: Uint8Array) => void;
  reject: (e: Error) => void;
  stack: Error;
  /** Removes the abort listener. */
  done: () => void;
}

const pending = new Map<number, Pending>();
const queue: { id: number; job: Job }[] = [];
const slots: Slot[] = [];
let nextId = 1;
let workerPath: string | null | undefined;

function findWorker(): string | null {
  if (workerPath !== undefined) return workerPath;
  const candidates = [join(__dirname, 'worker.js'), join(__dirname, '..', '..', '..', 'dist', 'engine', 'ts', 'worker.js')];
  workerPath = candidates.find((p) => existsSync(p)) ?? null;
  return workerPath;
}

const withStack = (e: NncError, stack: Error): NncError => {
  e.stack = `${e.name} [${e.code}]: ${e.message}\n${stack.stack?.split('\n').slice(1).join('\n')}`;
  return e;
};

function settle(id: number): Pending | undefined {
  const p = pending.get(id);
  pending.delete(id);
  p?.done();
  return p;
}

function spawn(): Slot {
  const worker = new Worker(findWorker()!);
  worker.unref();
  const slot: Slot = { worker, busy: false };
  worker.on('message', (msg: { id: number; out?: Uint8Array; error?: { code: string; message: string } }) => {
    const p = settle(msg.id);
    slot.busy = false;
    slot.job = undefined;
    worker.unref();
    if (p) {
      if (msg.error) p.reject(withStack(new NncError(msg.error.code as ErrorCode, msg.error.message), p.stack));
      else p.resolve(msg.out!);
    }
    pump();
  });
  worker.on('error', (err) => {
    // A crashed worker fails its job and is replaced on the next pump.
    retire(slot);
    if (slot.job !== undefined) settle(slot.job)?.reject(new NncError(ErrorCodes.INTERNAL, `ts engine worker failed: ${err.message}`));
    pump();
  });
  slots.push(slot);
  return slot;
}

/** Take a worker out of service (crashed, or terminated to cancel its job). */
function retire(slot: Slot): void {
  const i = slots.indexOf(slot);
  if (i >= 0) slots.splice(i, 1);
}

function pump(): void {
  while (queue.length > 0) {
    let slot = slots.find((s) => !s.busy);
    if (!slot && slots.length < Math.max(1, availableParallelism())) slot = spawn();
    if (!slot) return;
    const { id, job } = queue.shift()!;
    slot.busy = true;
    slot.job = id;
    slot.worker.ref();
    slot.worker.postMessage({ id, ...job });
  }
}

function cancel(id: number, reason: unknown): void {
  const p = settle(id);
  if (!p) return;
  const q = queue.findIndex((e) => e.id === id);
  if (q >= 0) {
    queue.splice(q, 1);
  } else {
    const slot = slots.find((s) => s.job === id);
    if (slot) {
      retire(slot);
      slot.worker.removeAllListeners('message');
      void slot.worker.terminate();
    }
  }
  p.reject(withStack(abortError(reason), p.stack));
  pump();
}

export function runInWorker(job: Job, inline: () => Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
  const stack = new Error();
  if (signal?.aborted) return Promise.reject(withStack(abortError(signal.reason), stack));
  if (!findWorker()) {
    return new Promise((resolve, reject) => setImmediate(() => {
      try {
        if (signal?.aborted) throw abortError(signal.reason);
        resolve(inline());
      } catch (e) { reject(e); }
    }));
  }
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const onAbort = (): void => cancel(id, signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    pending.set(id, { resolve, reject, stack, done: () => signal?.removeEventListener('abort', onAbort) });
    queue.push({ id, job });
    pump();
  });
}
