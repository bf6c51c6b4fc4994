/** Worker-thread side of ./worker-pool.ts. */
import { parentPort } from 'node:worker_threads';
import { NncError } from '../../errors.js';
import type { MixParams } from '../../format/mix-params.js';
import { parseModel } from '../../format/model-file.js';
import { compressFrame, decompressFrame, type TsModel } from './frame-codec.js';
import { Predictor } from './predictor.js';

const cache = new Map<string, TsModel>();

function model(bytes: Uint8Array | null): TsModel | null {
  if (!bytes) return null;
  const parsed = parseModel(bytes);
  let m = cache.get(parsed.id);
  if (!m) {
    if (cache.size > 8) cache.clear();
    m = { id: parsed.id, predictor: new Predictor(parsed.tensors) };
    cache.set(parsed.id, m);
  }
  return m;
}

parentPort!.on('message', (msg: { id: number; op: string; model: Uint8Array | null; data: Uint8Array; laneSize: number; mix?: MixParams }) => {
  try {
    const m = model(msg.model);
    const out = msg.op === 'compress' ? compressFrame(m!, msg.data, msg.laneSize, msg.mix) : decompressFrame(m, msg.data);
    parentPort!.postMessage({ id: msg.id, out }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as NncError;
    parentPort!.postMessage({ id: msg.id, error: { code: err.code ?? 'ERR_NNC_INTERNAL', message: err.message ?? String(e) } });
  }
});
