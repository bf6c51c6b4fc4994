/**
 * `nnc -l` on input that cannot be read at offsets (stdin, a FIFO, a
 * device): walked item by item as it arrives, holding a header's bytes at
 * most, so `nnc -l /dev/zero` (or garbage piped in) fails at byte 0 at once
 * instead of reading without bound first; and a listing from any chunking
 * matches the file's. Runs main() in-process on the source.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as nnc from '../src/index.js';
import { generatedText } from './helpers.js';
import { runCliText } from './cli-run.js';

const list = (args: string[], stdin: Readable) => runCliText(['-l', ...args], stdin);

/** 64 MiB of zeros (as good as endless here), counting what was read. */
function endlessZeros(): { stream: Readable; read: () => number } {
  let n = 0;
  const chunk = Buffer.alloc(1 << 16);
  const stream = new Readable({
    read() {
      n += chunk.length;
      this.push(n > 64 << 20 ? null : chunk);
    },
  });
  return { stream, read: () => n };
}

/** `bytes` in chunks of `size` bytes. */
const chunked = (bytes: Uint8Array, size: number): Readable =>
  Readable.from(
    (function* () {
      for (let p = 0; p < bytes.length; p += size) yield Buffer.from(bytes.subarray(p, p + size));
    })(),
  );

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-list-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('nnc -l on a stream', () => {
  it('fails at byte 0 on endless garbage, having read next to nothing', async () => {
    const zeros = endlessZeros();
    const r = await list(['-'], zeros.stream);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad magic at byte 0');
    expect(r.stderr).toContain('ERR_NNC_CORRUPT');
    expect(zeros.read()).toBeLessThan(4 << 20);
  }, 20_000);

  it('lists an archive read in 1-byte and odd chunks as it lists the file', async () => {
    const data = generatedText(20_000, 7);
    const one = nnc.compressSync(data, { frameSize: 4096, engine: 'ts' });
    const archive = Buffer.concat([one, nnc.compressSync(data.subarray(0, 5000), { frameSize: 4096, engine: 'ts' })]);
    fs.writeFileSync(path.join(dir, 'a.nnc'), archive);
    const fromFile = await list([path.join(dir, 'a.nnc')], Readable.from([]));
    expect(fromFile.code).toBe(0);
    for (const size of [1, 3, 41, 4096]) {
      const r = await list(['-'], chunked(archive, size));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(fromFile.stdout.replace(path.join(dir, 'a.nnc'), 'stdin'));
    }
    expect(fromFile.stdout).toMatch(new RegExp(`\\b${archive.length}\\s+25000\\b`));
  }, 60_000);

  it('a cut stream is ERR_NNC_TRUNCATED wherever it is cut', async () => {
    const archive = nnc.compressSync(generatedText(9000, 3), { frameSize: 4096, engine: 'ts' });
    for (const cut of [1, 4, 27, 28, 29, archive.length - 41, archive.length - 40, archive.length - 39, archive.length - 1]) {
      const r = await list(['-'], chunked(archive.subarray(0, cut), 7));
      expect(r.code, `cut at ${cut}`).toBe(1);
      expect(r.stderr, `cut at ${cut}`).toContain('ERR_NNC_TRUNCATED');
    }
  }, 60_000);
});
