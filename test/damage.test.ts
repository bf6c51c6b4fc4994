/**
 * Truncation at every offset and every single-byte corruption of small
 * archives: always a typed error with the right code, never wrong output.
 */
import { expect, it } from 'vitest';
import { compressSync, decompressSync } from '../src/index.js';
import { makeRandomModel, modelData } from './helpers.js';
import { describeEachEngine } from './support/engines.js';

const tm = makeRandomModel(21, { k: 4, E: 4, hidden: [16, 12], alphabetBytes: 30 });

const DATA = modelData(tm, 300, 2, 100);
// Level 1: a method-1 (neural) frame, whose byte classes expectedCodes() lists.
const archive = compressSync(DATA, { model: tm.model, engine: 'ts', laneSize: 100, level: 1 });

/** Which codes a corrupted byte at `offset` may legitimately produce (one frame, then the 40-byte end record). */
function expectedCodes(offset: number, archiveLen: number): string[] {
  const len = archiveLen - 40; // where the frame ends
  // The end record's own check fails first, whichever byte of it changed.
  if (offset >= len) return ['ERR_NNC_CORRUPT'];
  if (offset < 4) return ['ERR_NNC_CORRUPT'];
  if (offset === 4) return ['ERR_NNC_UNSUPPORTED'];
  if (offset === 5) return ['ERR_NNC_UNSUPPORTED', 'ERR_NNC_CORRUPT'];
  if (offset < 8) return ['ERR_NNC_UNSUPPORTED'];
  if (offset < 16) return ['ERR_NNC_MODEL_MISMATCH'];
  if (offset < 28) return ['ERR_NNC_CORRUPT', 'ERR_NNC_TRUNCATED', 'ERR_NNC_CHECKSUM'];
  if (offset >= len - 8) return ['ERR_NNC_CHECKSUM'];
  return ['ERR_NNC_CORRUPT', 'ERR_NNC_CHECKSUM'];
}

describeEachEngine('damaged archives', (engine) => {
  it('the archive under test is neural and decodes', () => {
    expect(archive[5]).toBe(1);
    expect(decompressSync(archive, { model: tm.model, engine }).equals(Buffer.from(DATA))).toBe(true);
  });

  it('every truncation gives ERR_NNC_TRUNCATED', () => {
    for (let n = 0; n < archive.length; n++) {
      expect(() => decompressSync(archive.subarray(0, n), { model: tm.model, engine }), `cut at ${n}`).toThrow(
        expect.objectContaining({ code: 'ERR_NNC_TRUNCATED' }),
      );
    }
  });

  it('every single-byte corruption gives the right code', () => {
    for (let off = 0; off < archive.length; off++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = Buffer.from(archive);
        bad[off] ^= mask;
        let out: Buffer | undefined;
        let code: string | undefined;
        try {
          out = decompressSync(bad, { model: tm.model, engine });
        } catch (e) {
          code = (e as { code?: string }).code;
        }
        expect(out, `offset ${off} mask ${mask} returned output`).toBeUndefined();
        expect(expectedCodes(off, archive.length), `offset ${off} mask ${mask}`).toContain(code);
      }
    }
  });

  it('trailing garbage is rejected; concatenated archives decode', () => {
    const two = Buffer.concat([archive, archive]);
    expect(decompressSync(two, { model: tm.model, engine }).equals(Buffer.concat([DATA, DATA]))).toBe(true);
    expect(() => decompressSync(Buffer.concat([archive, Buffer.from('junk')]), { model: tm.model, engine })).toThrow(
      expect.objectContaining({ code: 'ERR_NNC_CORRUPT' }),
    );
  });
});
