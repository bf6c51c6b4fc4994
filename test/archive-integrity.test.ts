/**
 * Archives prove they are whole (FORMAT.md 4.2), and the streams never depend
 * on memory the caller may reuse nor let output pile up behind a slow
 * consumer (issue 10, item 0 and the stream part of item 2).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { generatedText, makeRandomModel, modelData, randomBytes } from './helpers.js';
import { describeEachEngine } from './support/engines.js';

const tm = makeRandomModel(41, { k: 4, E: 4, hidden: [16, 12], alphabetBytes: 40 });
const codeOf = async (f: () => unknown): Promise<string> => {
  try {
    await f();
    return 'OK';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Frames of an archive made by compressSync (the end record is the last 40 bytes). */
function framesOf(archive: Buffer): { frames: Buffer[]; end: Buffer } {
  const frames: Buffer[] = [];
  let p = 0;
  while (p < archive.length - 40) {
    const size = 36 + archive.readUInt32LE(p + 24);
    frames.push(archive.subarray(p, p + size));
    p += size;
  }
  expect(p).toBe(archive.length - 40);
  return { frames, end: archive.subarray(p) };
}

describeEachEngine('whole archives', (engine) => {
  const opts = { model: tm.model, engine, laneSize: 200, frameSize: 500 };
  const data = Buffer.from(modelData(tm, 2200, 5, 200));
  const archive = nnc.compressSync(data, opts);
  const { frames, end } = framesOf(archive);
  const decodeCodes = async (bytes: Buffer) => [
    await codeOf(() => nnc.decompressSync(bytes, opts)),
    await codeOf(() => nnc.decompress(bytes, opts)),
    await codeOf(() => pipeline(Readable.from([bytes]), nnc.createDecompressStream(opts), sink())),
    await codeOf(() => nnc.inspect(bytes)),
  ];

  it('the archive is 5 frames and an end record; it decodes', () => {
    expect(frames.length).toBe(5);
    expect(end.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x4e, 0x4e, 0x45]));
    expect(nnc.decompressSync(archive, opts).equals(data)).toBe(true);
  });

  it('cut at every frame boundary: ERR_NNC_TRUNCATED through every API', async () => {
    let cut = 0;
    for (const f of frames) {
      cut += f.length;
      expect([cut, ...(await decodeCodes(archive.subarray(0, cut)))]).toEqual([cut, ...Array(4).fill('ERR_NNC_TRUNCATED')]);
    }
  });

  it('a frame dropped, duplicated or swapped: ERR_NNC_TRUNCATED through every API', async () => {
    const variants = {
      dropped: [frames[0], frames[1], frames[3], frames[4]],
      duplicated: [frames[0], frames[1], frames[1], frames[2], frames[3], frames[4]],
      swapped: [frames[0], frames[2], frames[1], frames[3], frames[4]],
    };
    for (const [name, fs] of Object.entries(variants)) {
      expect([name, ...(await decodeCodes(Buffer.concat([...fs, end])))]).toEqual([name, ...Array(4).fill('ERR_NNC_TRUNCATED')]);
    }
  });

  it('concatenated archives decode, each checked against its own end record', async () => {
    const other = nnc.compressSync(generatedText(700, 3), opts);
    const both = Buffer.concat([archive, other]);
    const want = Buffer.concat([data, generatedText(700, 3)]);
    expect(nnc.decompressSync(both, opts).equals(want)).toBe(true);
    expect((await nnc.decompress(both, opts)).equals(want)).toBe(true);
    expect(nnc.inspect(both).frames.length).toBe(frames.length + 2);
    // The first archive's end record gone: its frames run into the second archive.
    const joined = Buffer.concat([archive.subarray(0, archive.length - 40), other]);
    expect(await decodeCodes(joined)).toEqual(Array(4).fill('ERR_NNC_TRUNCATED'));
  });

  it('maxOutputLength: rejected from the headers, before anything is decoded', async () => {
    // A damaged payload proves nothing was decoded: decoding would fail with CORRUPT/CHECKSUM.
    const damaged = Buffer.from(archive);
    damaged[frames[0].length - 30] ^= 0xff;
    for (const call of [() => nnc.decompressSync(damaged, { ...opts, maxOutputLength: 2199 }), () => nnc.decompress(damaged, { ...opts, maxOutputLength: 2199 })]) {
      await expect(Promise.resolve().then(call)).rejects.toMatchObject({ code: 'ERR_NNC_OUTPUT_TOO_LARGE', message: expect.stringContaining('maxOutputLength') });
    }
    expect(nnc.decompressSync(archive, { ...opts, maxOutputLength: 2200 }).length).toBe(2200);
  });

  it('async calls copy their input: the caller may overwrite it as soon as the call returns', async () => {
    const input = Buffer.from(archive);
    const pending = nnc.decompress(input, opts);
    input.fill(0);
    expect((await pending).equals(data)).toBe(true);
    const text = Buffer.from(data);
    const packing = nnc.compress(text, opts);
    text.fill(0x41);
    expect((await packing).equals(archive)).toBe(true);
  });

  it('a compress stream whose producer reuses its buffer after each write callback gets a correct archive', async () => {
    const input = Buffer.from(generatedText(5000, 7));
    const chunk = Buffer.alloc(333);
    const packed: Buffer[] = [];
    const c = nnc.createCompressStream(opts);
    c.on('data', (b: Buffer) => packed.push(b));
    const done = new Promise((resolve, reject) => c.on('end', resolve).on('error', reject));
    for (let p = 0; p < input.length; p += chunk.length) {
      const n = input.copy(chunk, 0, p, p + chunk.length);
      await new Promise<void>((resolve, reject) => c.write(chunk.subarray(0, n), (e) => (e ? reject(e) : resolve())));
      chunk.fill(0x5a); // reused right after the callback, as zlib allows
    }
    c.end();
    await done;
    const archiveBytes = Buffer.concat(packed);
    expect(archiveBytes.equals(nnc.compressSync(input, opts))).toBe(true);
    expect(nnc.decompressSync(archiveBytes, opts).equals(input)).toBe(true);
  });

  it('a decompress stream whose producer reuses its buffer after each write callback decodes correctly', async () => {
    const out: Buffer[] = [];
    const d = nnc.createDecompressStream(opts);
    d.on('data', (b: Buffer) => out.push(b));
    const done = new Promise((resolve, reject) => d.on('end', resolve).on('error', reject));
    const chunk = Buffer.alloc(97);
    for (let p = 0; p < archive.length; p += chunk.length) {
      const n = archive.copy(chunk, 0, p, p + chunk.length);
      await new Promise<void>((resolve, reject) => d.write(chunk.subarray(0, n), (e) => (e ? reject(e) : resolve())));
      chunk.fill(0xa5);
    }
    d.end();
    await done;
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });
});

describe('backpressure', () => {
  // Stored frames (random bytes) decode at memory speed: many frames at once.
  const frameSize = 64 * 1024;
  const noise = Buffer.from(randomBytes(40 * frameSize, 9));
  // Level 1: noise is stored at every level, but level 6 would first run the mixing stage over it (a minute in the ts engine).
  const archive = nnc.compressSync(noise, { model: tm.model, engine: 'ts', frameSize, level: 1 });

  it('a stalled consumer stops the decoder after about one frame', async () => {
    const d = nnc.createDecompressStream({ model: tm.model });
    // The whole archive written at once (one chunk): nothing reads the output.
    d.write(archive);
    await new Promise((r) => setTimeout(r, 300));
    expect(d.readableLength).toBeLessThanOrEqual(2 * frameSize);
    // Reading resumes it, and everything arrives.
    const out: Buffer[] = [];
    d.on('data', (b: Buffer) => out.push(b));
    d.end();
    await new Promise((resolve, reject) => d.on('end', resolve).on('error', reject));
    expect(Buffer.concat(out).equals(noise)).toBe(true);
  });

  it('a stalled consumer stops the compressor after about one frame', async () => {
    const c = nnc.createCompressStream({ model: tm.model, frameSize, level: 1 });
    c.write(noise);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.readableLength).toBeLessThanOrEqual(2 * (frameSize + 36));
    const out: Buffer[] = [];
    c.on('data', (b: Buffer) => out.push(b));
    c.end();
    await new Promise((resolve, reject) => c.on('end', resolve).on('error', reject));
    expect(Buffer.concat(out).equals(archive)).toBe(true);
  });

  it('destroying a stream that waits for its consumer ends it promptly', async () => {
    const d = nnc.createDecompressStream({ model: tm.model });
    d.write(archive);
    await new Promise((r) => setTimeout(r, 100));
    const closed = new Promise((r) => d.on('close', r));
    d.destroy();
    await closed;
    expect(d.destroyed).toBe(true);
  });
});

describe('command line', () => {
  const bin = join(__dirname, '..', 'bin', 'nnc.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

  it('-t, -d and -l reject an archive cut at a frame boundary; -d leaves no output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnc-cut-'));
    const model = join(dir, 'm.nncm');
    writeFileSync(model, tm.bytes);
    const src = join(dir, 'a.txt');
    writeFileSync(src, generatedText(3000, 4));
    expect(run(['-q', '-m', model, '--frame-size', '1000', src]).status).toBe(0);
    const whole = readFileSync(`${src}.nnc`);
    const firstFrame = 36 + whole.readUInt32LE(24);
    const cut = join(dir, 'cut.txt.nnc');
    writeFileSync(cut, whole.subarray(0, firstFrame));
    const t = run(['-t', '-m', model, cut]);
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/ERR_NNC_TRUNCATED/);
    const d = run(['-d', '-m', model, cut]);
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/ERR_NNC_TRUNCATED/);
    expect(existsSync(join(dir, 'cut.txt'))).toBe(false);
    const l = run(['-l', cut]);
    expect(l.status).toBe(1);
    expect(l.stderr).toMatch(/ERR_NNC_TRUNCATED/);
    expect(run(['-t', '-m', model, `${src}.nnc`]).status).toBe(0);
  });
});
