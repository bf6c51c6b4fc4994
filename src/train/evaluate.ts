/**
 * Measuring a model on data: bits per byte of the ideal code length (from the
 * integer frequencies the engines compute) and of real archives, and the cpu
 * engine's throughput.
 */
import { performance } from 'node:perf_hooks';
import { compress, decompress } from '../api.js';
import { frequencyEngine, selectEngine, type EngineChoice } from '../engine/select.js';
import { DEFAULT_LANE_SIZE } from '../format/frame.js';
import type { Model } from '../model/model.js';

export interface Measure {
  bytes: number;
  /** Σ −log2(f/2^16) over the coded symbols (escapes add 8 bits), per byte. */
  idealBits: number;
  /** 8 · archive size / input size. */
  actualBits: number;
  compressMBps: number;
  decompressMBps: number;
  engine: string;
}

/** Ideal code length in bits, lane by lane (so the frequency tables stay small). */
export function idealBits(model: Model, data: Uint8Array, laneSize = DEFAULT_LANE_SIZE): number {
  const t = model.parsed.tensors;
  const A = t.alphabet.length + 1;
  const tokenOf = new Int16Array(256).fill(A - 1);
  t.alphabet.forEach((b, s) => (tokenOf[b] = s));
  // Every engine's tables are identical; the first registered one that has them is the fastest.
  const engine = frequencyEngine();
  const m = model.for(engine);
  let bits = 0;
  for (let start = 0; start < data.length; start += laneSize) {
    const lane = data.subarray(start, Math.min(data.length, start + laneSize));
    const f = engine.frequencies(m, lane, laneSize);
    for (let i = 0; i < lane.length; i++) {
      const s = tokenOf[lane[i]];
      bits += -Math.log2(f[i * A + s] / 65536) + (s === A - 1 ? 8 : 0);
    }
  }
  return bits;
}

export async function measure(model: Model, data: Uint8Array, o: { engine?: EngineChoice; threads?: number; laneSize?: number } = {}): Promise<Measure> {
  // Level 1: the network alone, the coder idealBits() is the bound of (the default level mixes in adaptive contexts).
  const opts = { model, engine: o.engine ?? 'auto', threads: o.threads, laneSize: o.laneSize, level: 1 };
  const t0 = performance.now();
  const packed = await compress(data, opts);
  const t1 = performance.now();
  const back = await decompress(packed, opts);
  const t2 = performance.now();
  if (!back.equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) throw new Error('round trip failed');
  const n = Math.max(1, data.length);
  return {
    bytes: data.length,
    idealBits: idealBits(model, data, o.laneSize) / n,
    actualBits: (8 * packed.length) / n,
    compressMBps: data.length / 1e3 / Math.max(1e-3, t1 - t0),
    decompressMBps: data.length / 1e3 / Math.max(1e-3, t2 - t1),
    engine: selectEngine(opts.engine).name,
  };
}
