import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { ENGINE_NAMES } from '../src/engine/registry.js';
import { generatedText, makeRandomModel, modelData, randomBytes } from './helpers.js';
import { availableEngines, describeEachEngine, registeredEngines } from './support/engines.js';

const tm = makeRandomModel(31, { k: 8, E: 4, hidden: [24, 16], alphabetBytes: 50 });

async function collect(stream: NodeJS.ReadableStream & NodeJS.WritableStream, input: Buffer, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const src = Readable.from((function* () { for (let p = 0; p < input.length; p += chunk) yield input.subarray(p, p + chunk); })());
  await pipeline(src, stream, async function* (s) { for await (const c of s) parts.push(c as Buffer); });
  return Buffer.concat(parts);
}

describeEachEngine('API', (engine) => {
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

  it('empty input is one stored frame and the end record', async () => {
    const packed = await nnc.compress(Buffer.alloc(0), opts);
    expect(packed.length).toBe(36 + 40);
    expect((await nnc.decompress(packed, opts)).length).toBe(0);
    expect(() => nnc.decompressSync(Buffer.alloc(0), opts)).toThrow(expect.objectContaining({ code: 'ERR_NNC_TRUNCATED' }));
  });

  it('stored frames decode without the model; neural frames need the right one', async () => {
    const noise = randomBytes(2000, 3);
    const packed = await nnc.compress(noise, opts);
    expect(packed.length).toBe(noise.length + 36 + 40);
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
    expect(packed.length).toBe(36 + 40);
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

  it('the abort error is shaped like Node\'s AbortError (name, code, cause) and is an NncError', async () => {
    const ac = new AbortController();
    const reason = new Error('user pressed stop');
    ac.abort(reason);
    for (const p of [nnc.compress(data, { ...opts, signal: ac.signal }), nnc.decompress(nnc.compressSync(data, opts), { ...opts, signal: ac.signal })]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(nnc.NncError);
      expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
      expect(String((err as Error).stack)).toMatch(/^AbortError/);
    }
  });

  it('node:zlib callback forms: (input, cb) and (input, opts, cb), called back once, asynchronously', async () => {
    // Calls start(cb); resolves a little after the first callback, counting calls and noting whether it came synchronously.
    const call = (start: (cb: (err: Error | null, r?: Buffer) => void) => unknown) =>
      new Promise<{ err: Error | null; result?: Buffer; returned: unknown; sync: boolean; calls: number }>((resolve) => {
        let returned: unknown;
        let hasReturned = false;
        let calls = 0;
        returned = start((err, result) => {
          const sync = !hasReturned;
          if (++calls === 1) setTimeout(() => resolve({ err, result, returned, sync, calls }), 20);
        });
        hasReturned = true;
      });
    const packed = await call((cb) => nnc.compress(data, opts, cb));
    expect(packed).toMatchObject({ err: null, returned: undefined, sync: false, calls: 1 });
    expect(packed.result!.equals(nnc.compressSync(data, opts))).toBe(true);
    const back = await call((cb) => nnc.decompress(packed.result!, opts, cb));
    expect(back).toMatchObject({ err: null, sync: false, calls: 1 });
    expect(back.result!.equals(data)).toBe(true);
    // Without options: the bundled model (stored frames decode without it).
    const stored = await call((cb) => nnc.compress(randomBytes(100, 5), cb));
    expect(stored.err).toBe(null);
    const storedBack = await call((cb) => nnc.decompress(stored.result!, cb));
    expect(storedBack.result!.equals(Buffer.from(randomBytes(100, 5)))).toBe(true);
    // Argument and data errors go to the callback too, never thrown.
    const badArg = await call((cb) => nnc.compress(42 as unknown as Buffer, opts, cb));
    expect(badArg).toMatchObject({ err: { code: 'ERR_NNC_INVALID_ARG' }, sync: false, calls: 1 });
    const badData = await call((cb) => nnc.decompress(Buffer.from('not an archive'), cb));
    expect(badData).toMatchObject({ err: { code: 'ERR_NNC_CORRUPT' }, calls: 1 });
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
  it('rejects unknown options on every call, naming the accepted ones', async () => {
    // A node:zlib option nnc does not have (level it has: test/levels.test.ts).
    const bad = { model: tm.model, windowBits: 15 } as unknown as nnc.CompressOptions;
    const expected = expect.objectContaining({
      code: 'ERR_NNC_INVALID_ARG',
      message: expect.stringMatching(/unknown option "windowBits"; the options are .*model.*maxOutputLength.*modelPath.*level/),
    });
    const packed = nnc.compressSync('x', { model: tm.model });
    expect(() => nnc.compressSync('x', bad)).toThrow(expected);
    expect(() => nnc.decompressSync(packed, bad)).toThrow(expected);
    expect(() => nnc.createCompressStream(bad)).toThrow(expected);
    expect(() => nnc.createDecompressStream(bad)).toThrow(expected);
    await expect(nnc.compress('x', bad)).rejects.toEqual(expected);
    await expect(nnc.decompress(packed, bad)).rejects.toEqual(expected);
    await expect(nnc.compressBatch(['x'], bad)).rejects.toEqual(expected);
    await expect(nnc.decompressBatch([packed], bad)).rejects.toEqual(expected);
    await expect(nnc.compress('x', { model: tm.model, engin: 'ts' } as unknown as nnc.CompressOptions)).rejects.toMatchObject({
      message: expect.stringContaining('"engin"'),
    });
  });
  it('accepts maxOutputLength on compress and decompress calls (a decompression limit, as node:zlib)', async () => {
    const packed = await nnc.compress('hello', { model: tm.model, maxOutputLength: 10 });
    expect((await nnc.decompress(packed, { model: tm.model, maxOutputLength: 10 })).toString()).toBe('hello');
    expect(() => nnc.decompressSync(packed, { model: tm.model, maxOutputLength: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_NNC_INVALID_ARG', message: expect.stringContaining('maxOutputLength') }),
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
    expect(info.engines.map((e) => e.name)).toEqual(ENGINE_NAMES);
    for (const e of info.engines) if (!e.available) expect(e.reason).toBeTruthy();
    // 'auto' (NNC_ENGINE unset) takes the first registered engine that loads.
    expect(info.selected).toBe([undefined, '', 'auto'].includes(process.env.NNC_ENGINE) ? availableEngines[0] : process.env.NNC_ENGINE);
  });
  for (const e of registeredEngines.filter((s) => !s.available)) {
    it(`forcing the unavailable ${e.name} engine says why it cannot load`, () => {
      expect(() => nnc.compressSync('x', { model: tm.model, engine: e.name })).toThrow(
        expect.objectContaining({ code: 'ERR_NNC_ENGINE_UNAVAILABLE', message: `engine '${e.name}' cannot load: ${e.reason}` }),
      );
    });
  }
});
