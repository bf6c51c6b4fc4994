/**
 * The TypeScript engine: the readable reference and the fallback where no
 * native addon loads. Async calls run the same code in a worker thread so the
 * event loop stays free (see ./worker-pool.ts).
 */
import type { DecodeOptions, Engine, EngineModel, FrameOptions } from '../types.js';
import { parseModel } from '../../format/model-file.js';
import { Predictor } from './predictor.js';
import { compressFrame, decompressFrame, frequencyTable as tableOf, type TsModel } from './frame-codec.js';
import { runInWorker } from './worker-pool.js';

interface TsEngineModel extends EngineModel, TsModel {
  bytes: Uint8Array;
}

const predictorOf = (bytes: Uint8Array): TsEngineModel => {
  const parsed = parseModel(bytes);
  return { id: parsed.id, engine: 'ts', predictor: new Predictor(parsed.tensors), bytes: parsed.bytes };
};

export const tsEngine: Engine = {
  name: 'ts',
  loadModel: predictorOf,
  compressFrame(model: EngineModel, content: Uint8Array, opts: FrameOptions): Uint8Array {
    return compressFrame(model as TsEngineModel, content, opts.laneSize, opts.mix);
  },
  decompressFrame(model: EngineModel | null, frame: Uint8Array): Uint8Array {
    return decompressFrame(model as TsEngineModel | null, frame);
  },
  compressFrameAsync(model: EngineModel, content: Uint8Array, opts: FrameOptions): Promise<Uint8Array> {
    const m = model as TsEngineModel;
    return runInWorker(
      { op: 'compress', model: m.bytes, data: content, laneSize: opts.laneSize, mix: opts.mix },
      () => compressFrame(m, content, opts.laneSize, opts.mix),
      opts.signal,
    );
  },
  decompressFrameAsync(model: EngineModel | null, frame: Uint8Array, opts?: DecodeOptions): Promise<Uint8Array> {
    const m = model as TsEngineModel | null;
    return runInWorker(
      { op: 'decompress', model: m?.bytes ?? null, data: frame, laneSize: 0 },
      () => decompressFrame(m, frame),
      opts?.signal,
    );
  },
  frequencies: (model: EngineModel, content: Uint8Array, laneSize: number): Uint32Array => frequencyTable(model, content, laneSize),
  // One frame per worker thread: as many frames in flight as threads.
  framesInFlight: (threads: number): number => threads,
};

/**
 * The full frequency table the coder uses (content.length rows of A, row i =
 * position i) for `content` cut into lanes of `laneSize`: the ts twin of the
 * cpu engine's `frequencies`. For training evaluation, samples and tests.
 */
export function frequencyTable(model: EngineModel, content: Uint8Array, laneSize: number): Uint32Array {
  return tableOf((model as TsEngineModel).predictor, content, laneSize);
}

export { predictorOf as loadTsModel };
