/**
 * Runs reference-engine jobs in worker threads so async calls never block
 * the event loop. Workers are unref'd (they never keep a process alive) and
 * cache parsed models by ID. Where the compiled worker script is missing
 * (running the TypeScript sources directly), jobs run on the main thread in
 * a later macrotask instead: still correct, just not parallel.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ErrorCodes, NncError, type ErrorCode } from '../../errors.js';

export interface Job {
  op: 'compress' | 'decompress';
  model: Uint8Array | null;
  data: Uint8Array;
  laneSize: number;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

const pending = new Map<number, { resolve: (v: Uint8Array) => void; reject: (e: Error) => void; stack: Error }>();
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

function spawn(): Slot {
  const worker = new Worker(findWorker()!);
  worker.unref();
  const slot: Slot = { worker, busy: false };
  worker.on('message', (msg: { id: number; out?: Uint8Array; error?: { code: string; message: string } }) => {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    slot.busy = false;
    worker.unref();
    if (p) {
      if (msg.error) {
        const e = new NncError(msg.error.code as ErrorCode, msg.error.message);
        e.stack = `${e.name} [${e.code}]: ${e.message}\n${p.stack.stack?.split('\n').slice(1).join('\n')}`;
        p.reject(e);
      } else p.resolve(msg.out!);
    }
    pump();
  });
  worker.on('error', (err) => {
    // A crashed worker fails its job and is replaced on the next pump.
    slots.splice(slots.indexOf(slot), 1);
    for (const [id, p] of pending) if ((slot as { job?: number }).job === id) { pending.delete(id); p.reject(new NncError(ErrorCodes.INTERNAL, `ts engine worker failed: ${err.message}`)); }
    pump();
  });
  slots.push(slot);
  return slot;
}

function pump(): void {
  while (queue.length > 0) {
    let slot = slots.find((s) => !s.busy);
    if (!slot && slots.length < Math.max(1, availableParallelism())) slot = spawn();
    if (!slot) return;
    const { id, job } = queue.shift()!;
    slot.busy = true;
    (slot as { job?: number }).job = id;
    slot.worker.ref();
    slot.worker.postMessage({ id, ...job });
  }
}

export function runInWorker(job: Job, inline: () => Uint8Array): Promise<Uint8Array> {
  const stack = new Error();
  if (!findWorker()) {
    return new Promise((resolve, reject) => setImmediate(() => {
      try { resolve(inline()); } catch (e) { reject(e); }
    }));
  }
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, stack });
    queue.push({ id, job });
    pump();
  });
}
