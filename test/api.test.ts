import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { generatedText, makeRandomModel, modelData, randomBytes } from './helpers.js';

const tm = makeRandomModel(31, { k: 8, E: 4, hidden: [24, 16], alphabetBytes: 50 });
const engines = nnc.engineInfo().engines.filter((e) => e.available && e.name !== 'cuda').map((e) => e.name as 'ts' | 'cpu');

async function collect(stream: NodeJS.ReadableStream & NodeJS.WritableStream, input: Buffer, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const src = Readable.from((function* () { for (let p = 0; p < input.length; p += chunk) yield input.subarray(p, p + chunk); })());
  await pipeline(src, stream, async function* (s) { for await (const c of s) parts.push(c as Buffer); });
  return Buffer.concat(parts);
}

describe.each(engines)('API (%s engine)', (engine) => {
  const opts = { model: tm.model, engine, laneSize: 97 };
  const data = Buffer.from(modelData(tm, 1500, 7, 97));

  it('compress/decompress round trip, sync and async give the same bytes', async () => {
    const a = await nnc.compress(data, opts);
    const s = nnc.compressSync(data, opts);
    expect(a.equals(s)).toBe(true);
    expect(a.length).toBeLessThan(data.length);
    expect((await nnc.decompress(a, opts)).equals(data)).toBe(true);
    expect(nnc.decompressSync(a, opts).equals(data)).toBe(true);
  });

  it('accepts strings, Uint8Array and ArrayBuffer', async () => {
    const text = 'hello hello hello';
    expect((await nnc.decompress(await nnc.compress(text, opts), opts)).toString()).toBe(text);
    const u8 = new Uint8Array(data);
    expect((await nnc.decompress(nnc.compressSync(u8.buffer, opts), opts)).equals(data)).toBe(true);
  });

  it('splits input into frames and joins them back', async () => {
    const packed = await nnc.compress(data, { ...opts, frameSize: 400 });
    const info = nnc.inspect(packed);
    expect(info.frames.map((f) => f.contentSize)).toEqual([400, 400, 400, 300]);
    expect(info.contentSize).toBe(data.length);
    expect(info.compressedSize).toBe(packed.length);
    expect(info.frames[0].modelId).toBe(tm.model.id);
    expect((await nnc.decompress(packed, opts)).equals(data)).toBe(true);
  });

  it('empty input is one stored frame', async () => {
    const packed = await nnc.compress(Buffer.alloc(0), opts);
    expect(packed.length).toBe(36);
    expect((await nnc.decompress(packed, opts)).length).toBe(0);
    expect(() => nnc.decompressSync(Buffer.alloc(0), opts)).toThrow(expect.objectContaining({ code: 'ERR_NNC_TRUNCATED' }));
  });

  it('stored frames decode without the model; neural frames need the right one', async () => {
    const noise = randomBytes(2000, 3);
    const packed = await nnc.compress(noise, opts);
    expect(packed.length).toBe(noise.length + 36);
    const other = makeRandomModel(32).model;
    expect((await nnc.decompress(packed, { model: other, engine })).equals(Buffer.from(noise))).toBe(true);
    await expect(nnc.decompress(await nnc.compress(data, opts), { model: other, engine })).rejects.toMatchObject({
      code: 'ERR_NNC_MODEL_MISMATCH',
      message: expect.stringContaining(tm.model.id),
    });
  });

  it('streams: compress and decompress through pipeline in small chunks', async () => {
    const input = Buffer.concat([data, Buffer.from(generatedText(3000, 2)), data]);
    const packed = await collect(nnc.createCompressStream({ ...opts, frameSize: 1000 }), input, 333);
    expect(packed.equals(await nnc.compress(input, { ...opts, frameSize: 1000 }))).toBe(true);
    const back = await collect(nnc.createDecompressStream(opts), packed, 77);
    expect(back.equals(input)).toBe(true);
  });

  it('streams: empty input and truncated archives', async () => {
    const packed = await collect(nnc.createCompressStream(opts), Buffer.alloc(0), 1);
    expect(packed.length).toBe(36);
    const good = await nnc.compress(data, opts);
    await expect(collect(nnc.createDecompressStream(opts), good.subarray(0, good.length - 3), 50)).rejects.toMatchObject({ code: 'ERR_NNC_TRUNCATED' });
  });

  it('many parallel async calls give correct results; compressBatch keeps order', async () => {
    const inputs = Array.from({ length: 24 }, (_, i) => Buffer.from(modelData(tm, 50 + 40 * i, i, 97)));
    const packed = await Promise.all(inputs.map((b) => nnc.compress(b, opts)));
    const back = await Promise.all(packed.map((p) => nnc.decompress(p, opts)));
    back.forEach((b, i) => expect(b.equals(inputs[i])).toBe(true));
    const batch = await nnc.compressBatch(inputs, opts);
    batch.forEach((b, i) => expect(b.equals(packed[i])).toBe(true));
    const unbatch = await nnc.decompressBatch(batch, opts);
    unbatch.forEach((b, i) => expect(b.equals(inputs[i])).toBe(true));
  });

  it('an aborted signal rejects with ABORT_ERR', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(nnc.compress(data, { ...opts, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });
});

describe('API argument checks', () => {
  it.each([
    [{ laneSize: 0 }, 'laneSize'],
    [{ laneSize: 1.5 }, 'laneSize'],
    [{ threads: -1 }, 'threads'],
    [{ frameSize: 2 ** 27 }, 'frameSize'],
    [{ engine: 'gpu' }, 'engine'],
  ])('rejects %j', (o, name) => {
    expect(() => nnc.compressSync('x', { model: tm.model, ...(o as object) })).toThrow(
      expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG', message: expect.stringContaining(name) }),
    );
  });
  it('rejects non-buffer input and a missing model file', async () => {
    await expect(nnc.compress(42 as unknown as Buffer, { model: tm.model })).rejects.toMatchObject({ code: 'ERR_NNC_INVALID_ARG' });
    expect(() => nnc.compressSync('x', { model: '/nonexistent/model.nncm' })).toThrow(expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG' }));
  });
  it('async errors keep the caller stack', async () => {
    const err = await nnc.decompress(Buffer.from('not an archive'), { model: tm.model }).catch((e) => e);
    expect(err).toBeInstanceOf(nnc.NncError);
    expect(err.code).toBe('ERR_NNC_CORRUPT');
    expect(err.stack).toContain('api.test.ts');
  });
  it('engineInfo names every engine and why unavailable ones are not', () => {
    const info = nnc.engineInfo();
    expect(info.engines.map((e) => e.name).sort()).toEqual(['cpu', 'cuda', 'ts']);
    for (const e of info.engines) if (!e.available) expect(e.reason).toBeTruthy();
    expect(['cpu', 'ts']).toContain(info.selected);
  });
  it('forcing the cuda engine says why it cannot load', () => {
    expect(() => nnc.compressSync('x', { model: tm.model, engine: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_NNC_ENGINE_UNAVAILABLE' }));
  });
});
