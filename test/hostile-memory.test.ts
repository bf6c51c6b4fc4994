/**
 * Hostile input costs what the input really holds: archives and models that
 * claim huge sizes (64 MiB of content, 2^26 lanes, a 256 MiB canonical
 * section, a 4 GiB payload) are rejected before anything is allocated by the
 * claim. Measured in a child process (peak RSS), decoding every golden bad
 * file through every engine and API, against a child that only decodes a
 * small valid archive: a single allocation sized by a claimed field (64 MiB,
 * zero-filled) would show.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');

const script = (hostile: boolean): string => `
const fs = require('fs');
const path = require('path');
const { Readable, Writable } = require('stream');
const { pipeline } = require('stream/promises');
const nnc = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
const { selectEngine } = require(${JSON.stringify(join(ROOT, 'dist', 'engine', 'select.js'))});
const dir = ${JSON.stringify(join(ROOT, 'test', 'fixtures', 'golden'))};
const model = nnc.loadModel(path.join(dir, 'model.nncm'));
const engines = nnc.engineInfo().engines.filter((e) => e.available).map((e) => e.name);
(async () => {
  const codes = [];
  const good = fs.readFileSync(path.join(dir, 'lanes-100.nnc'));
  // The baseline runs the same APIs (so the same worker and job threads exist in both children).
  for (const engine of engines) {
    nnc.decompressSync(good, { model, engine });
    await nnc.decompress(good, { model, engine });
    await pipeline(Readable.from([good]), nnc.createDecompressStream({ model, engine }), new Writable({ write: (c, e, cb) => cb() }));
  }
  if (${hostile}) {
    for (const f of fs.readdirSync(path.join(dir, 'bad')).filter((f) => f.endsWith('.nnc'))) {
      const b = fs.readFileSync(path.join(dir, 'bad', f));
      for (const engine of engines) {
        try { nnc.decompressSync(b, { model, engine }); } catch (e) { codes.push(e.code); }
        try { await nnc.decompress(b, { model, engine }); } catch (e) { codes.push(e.code); }
        try {
          await pipeline(Readable.from([b]), nnc.createDecompressStream({ model, engine }), new Writable({ write: (c, e, cb) => cb() }));
        } catch (e) { codes.push(e.code); }
      }
    }
    for (const f of fs.readdirSync(path.join(dir, 'bad-models')).filter((f) => f.endsWith('.nncm') && f !== 'base.nncm')) {
      const b = fs.readFileSync(path.join(dir, 'bad-models', f));
      try { nnc.loadModel(b); } catch (e) { codes.push(e.code); }
      for (const engine of engines) try { selectEngine(engine).loadModel(b); } catch (e) { codes.push(e.code); }
    }
  }
  process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, codes: codes.length, internal: codes.filter((c) => !/^ERR_NNC_(TRUNCATED|CORRUPT|CHECKSUM|UNSUPPORTED|MODEL_MISMATCH|BAD_MODEL)$/.test(c)) }));
})();
`;

function run(hostile: boolean): { maxRssKiB: number; codes: number; internal: string[] } {
  const r = spawnSync(process.execPath, ['-e', script(hostile)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('hostile input: memory bounded by what the input holds', () => {
  it('every golden bad archive and model, through every engine and API, costs no more than a small valid archive', () => {
    const base = run(false);
    const hostile = run(true);
    expect(hostile.codes).toBeGreaterThan(300);
    expect(hostile.internal).toEqual([]);
    // Measured: a few MiB apart. One zero-filled 64 MiB allocation would add 64 MiB.
    expect((hostile.maxRssKiB - base.maxRssKiB) / 1024).toBeLessThan(40);
  });
});
