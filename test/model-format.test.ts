import { describe, expect, it } from 'vitest';
import { parseModel, serializeModel } from '../src/format/model-file.js';
import { randomModel } from './support/random.js';
import { loadModel } from '../src/index.js';
import { xxh64 } from '../src/xxhash64.js';

const resum = (b: Uint8Array) => {
  new DataView(b.buffer, b.byteOffset).setBigUint64(b.length - 8, xxh64(b.subarray(0, b.length - 8)), true);
  return b;
};

describe('.nncm model files', () => {
  it('round-trips tensors and metadata, and the ID ignores metadata', () => {
    const t = randomModel(3);
    const a = parseModel(serializeModel(t, { name: 'a' }));
    const b = parseModel(serializeModel(t, { name: 'b', description: 'other' }));
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    expect(a.id).toBe(b.id);
    expect(a.metadata.name).toBe('a');
    expect(Array.from(a.tensors.wOut)).toEqual(Array.from(t.wOut));
    expect(Array.from(a.tensors.hidden[0].m)).toEqual(Array.from(t.hidden[0].m));
    expect(parseModel(serializeModel(randomModel(4))).id).not.toBe(a.id);
  });

  it('reports architecture and parameter count', () => {
    const t = randomModel(5, { k: 16, E: 16, hidden: [32, 24], alphabetBytes: 40 });
    const m = loadModel(serializeModel(t));
    expect(m.info).toMatchObject({ k: 16, embedding: 16, hidden: [32, 24], alphabetBytes: 40, alphabetSize: 41 });
    const A = 41;
    expect(m.info.parameters).toBe((A + 1) * 16 + 32 * 256 + 32 + 24 * 32 + 24 + A * 24 + A);
  });

  const good = serializeModel(randomModel(7, { k: 4, E: 3, hidden: [8, 8], alphabetBytes: 20 }));
  const mutate = (f: (b: Uint8Array, dv: DataView) => void, fix = true) => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return fix ? resum(b) : b;
  };
  const cases: [string, Uint8Array, string][] = [
    ['empty file', new Uint8Array(0), 'ERR_NNC_BAD_MODEL'],
    ['bad magic', mutate((b) => (b[0] = 0x50)), 'ERR_NNC_BAD_MODEL'],
    ['newer version', mutate((_, dv) => dv.setUint16(4, 2, true)), 'ERR_NNC_UNSUPPORTED'],
    ['reserved flags', mutate((_, dv) => dv.setUint16(6, 1, true)), 'ERR_NNC_UNSUPPORTED'],
    ['damaged weights (checksum)', mutate((b) => (b[200] ^= 1), false), 'ERR_NNC_BAD_MODEL'],
    ['truncated', good.subarray(0, good.length - 1), 'ERR_NNC_BAD_MODEL'],
    ['huge canonical size', mutate((_, dv) => dv.setUint32(8, 0xffffffff, true)), 'ERR_NNC_BAD_MODEL'],
    ['k = 0', mutate((b) => (b[16] = 0)), 'ERR_NNC_BAD_MODEL'],
    ['dimension inconsistent with size', mutate((b) => (b[17] = 4)), 'ERR_NNC_BAD_MODEL'],
    ['alphabet size 300', mutate((_, dv) => dv.setUint16(20, 300, true)), 'ERR_NNC_BAD_MODEL'],
    ['hidden width 0', mutate((_, dv) => dv.setUint16(24, 0, true)), 'ERR_NNC_BAD_MODEL'],
    ['unsorted alphabet', mutate((b) => { const t = b[28]; b[28] = b[29]; b[29] = t; }), 'ERR_NNC_BAD_MODEL'],
    ['EXP[0] wrong', mutate((b, dv) => dv.setUint32(b.length - 8 - 4 * (dv.getUint16(22, true)), 1, true)), 'ERR_NNC_BAD_MODEL'],
  ];
  it.each(cases)('rejects %s', (_name, bytes, code) => {
    expect(() => parseModel(bytes)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects weights that could overflow a 32-bit accumulator', () => {
    const t = randomModel(9, { k: 2, E: 2, hidden: [4], alphabetBytes: 3 });
    t.hidden[0].b[0] = 2 ** 31 - 10;
    expect(() => serializeModel(t)).toThrow(expect.objectContaining({ code: 'ERR_NNC_BAD_MODEL' }));
  });
});
