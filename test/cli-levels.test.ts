/**
 * Levels on the command line: -1 … -9 (combinable like gzip's, `-9c`),
 * --fast, --best and --level N choose each frame's method and parameter
 * block; `nnc -l` shows each archive's method(s) and level(s), and -l -v
 * each frame's method, level, experts and lanes, from a file or a stream
 * alike. Runs main() in-process on the source, with the ts engine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError, parseArgs } from '../src/cli/args.js';
import * as nnc from '../src/index.js';
import { expertNames, levelParams } from '../src/format/mix-params.js';
import { generatedText } from './helpers.js';
import { runCli } from './cli-run.js';

const run = runCli;

/** `bytes` in chunks of `size` bytes. */
const chunked = (bytes: Uint8Array, size: number): Readable =>
  Readable.from(
    (function* () {
      for (let p = 0; p < bytes.length; p += size) yield Buffer.from(bytes.subarray(p, p + size));
    })(),
  );

let dir: string;
const file = (name: string): string => path.join(dir, name);
const data = Buffer.from(generatedText(2500, 9));
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-levels-'));
  fs.writeFileSync(file('a.txt'), data);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('level flags', () => {
  it('parse gzip-style: digits are flags (the last wins), --fast, --best, --level N', () => {
    expect(parseArgs(['-9c', 'f'])).toMatchObject({ level: 9, stdout: true, files: ['f'] });
    expect(parseArgs(['-c1'])).toMatchObject({ level: 1, stdout: true });
    expect(parseArgs(['-kd3'])).toMatchObject({ level: 3, mode: 'decompress' });
    expect(parseArgs(['-19']).level).toBe(9);
    expect(parseArgs(['-9', '--fast']).level).toBe(1);
    expect(parseArgs(['--best']).level).toBe(9);
    expect(parseArgs(['--level', '4']).level).toBe(4);
    expect(parseArgs(['--level=7']).level).toBe(7);
    expect(parseArgs(['f']).level).toBeUndefined();
    for (const bad of ['0', '10', 'x', '', '2.5']) {
      expect(() => parseArgs(['--level', bad]), bad).toThrow(new UsageError(`--level expects a level from 1 to 9 (nnc --help lists them), not ${JSON.stringify(bad)}`));
    }
    expect(() => parseArgs(['-0'])).toThrow('unknown option -0');
    expect(() => parseArgs(['--fast=1'])).toThrow('option --fast takes no value');
  });

  it('choose each frame\'s method and level (default 6)', async () => {
    const cases: [string[], number, number][] = [
      [['-1'], 1, 0], [['--fast'], 1, 0], [['-2'], 2, 2], [[], 2, 6], [['--level', '5'], 2, 5], [['-9'], 2, 9], [['--best'], 2, 9],
    ];
    for (const [flags, method, level] of cases) {
      const r = await run(['--engine', 'ts', '-c', ...flags, file('a.txt')]);
      expect([flags, r.code, r.stderr]).toEqual([flags, 0, '']);
      expect([flags, r.stdout[5]]).toEqual([flags, method]);
      if (method === 2) expect([flags, r.stdout[28 + 7]]).toEqual([flags, level]);
      expect(nnc.decompressSync(r.stdout, { engine: 'ts' }).equals(data)).toBe(true);
    }
    // Combined with -c in one cluster; decompressing takes (and ignores) a level.
    const c = await run(['--engine', 'ts', '-3c', file('a.txt')]);
    expect([c.stdout[5], c.stdout[35]]).toEqual([2, 3]);
    fs.writeFileSync(file('a3.nnc'), c.stdout);
    const d = await run(['--engine', 'ts', '-dc9', file('a3.nnc')]);
    expect([d.code, d.stdout.equals(data)]).toEqual([0, true]);
  }, 60_000);

  it('-v names the level of each file compressed', async () => {
    const r = await run(['--engine', 'ts', '-v', '-4', '-c', file('a.txt')]);
    expect(r.stderr).toMatch(/a\.txt: 2500 -> \d+ bytes, .*, engine ts, level 4\n/);
  }, 30_000);

  it('--help lists every level, one line each', async () => {
    const help = (await run(['--help'])).stdout.toString();
    for (let l = 1; l <= 9; l++) expect(help).toMatch(new RegExp(`^  -${l}  \\S.*$`, 'm'));
    expect(help).toMatch(/^ {2}-6 .*the default/m);
    expect(help).toMatch(/^ {2}-9 .*best ratio, ~250 MiB$/m);
    expect(help).toContain('--fast, --best');
    expect(help).toContain('--level N');
  });
});

describe('nnc -l shows method and level', () => {
  let one: Buffer;
  let six: Buffer;
  let stored: Buffer;
  beforeAll(() => {
    // The default model pinned: -m auto would choose among whatever models the package ships.
    const model = nnc.defaultModelPath();
    one = nnc.compressSync(data, { engine: 'ts', level: 1, model });
    six = nnc.compressSync(data, { engine: 'ts', level: 6, frameSize: 1500, model });
    stored = nnc.compressSync(Buffer.from('xq'), { engine: 'ts', model });
    fs.writeFileSync(file('one.nnc'), one);
    fs.writeFileSync(file('six.nnc'), six);
    fs.writeFileSync(file('stored.nnc'), stored);
    // Concatenated archives are one input: frames of every kind.
    fs.writeFileSync(file('all.nnc'), Buffer.concat([one, six, stored]));
  });

  /** The row of `name` in a listing, split into columns. */
  const row = (out: Buffer, name: string): string[] => {
    const lines = out.toString().split('\n');
    expect(lines[0]).toMatch(/^\s*compressed\s+uncompressed\s+ratio\s+bits\/byte\s+method\s+level\s+model\s+frames\s+name$/);
    return lines.find((l) => l.endsWith(` ${name}`))!.trim().split(/\s+/);
  };

  it('one row per archive: its method(s) and level(s)', async () => {
    const r = await run(['-l', ...['one', 'six', 'stored', 'all'].map((n) => file(`${n}.nnc`))]);
    expect(r.code).toBe(0);
    // By its metadata name: the default model is a bundled one.
    const id = nnc.loadModel(nnc.defaultModelPath()).metadata.name!;
    expect(row(r.stdout, file('one.nnc')).slice(4)).toEqual(['neural', '1', id, '1', file('one.nnc')]);
    expect(row(r.stdout, file('six.nnc')).slice(4)).toEqual(['mixed', '6', id, '2', file('six.nnc')]);
    expect(row(r.stdout, file('stored.nnc')).slice(4)).toEqual(['stored', '-', id, '1', file('stored.nnc')]);
    expect(row(r.stdout, file('all.nnc')).slice(4)).toEqual(['neural+mixed+stored', '1,6', id, '4', file('all.nnc')]);
  });

  it('-l -v: each frame\'s method, level, lanes and experts', async () => {
    const r = await run(['-lv', file('all.nnc')]);
    expect(r.code).toBe(0);
    const frames = r.stdout.toString().split('\n').filter((l) => l.startsWith('  frame '));
    expect(frames).toHaveLength(4);
    expect(frames[0]).toMatch(/^ {2}frame 0: neural \(method 1\), level 1, 1 lane, content 2500, .*lane size 65536, model \S+ \([0-9a-f]{16}\)$/);
    const experts = expertNames(levelParams(6)!.mask).join(',');
    expect(frames[1]).toBe(
      `  frame 1: mixed (method 2), level 6, 1 lane, experts ${experts}, tables HB 12 MB 12 A2B 14, ` /* fitted to 1500 bytes: FORMAT.md 4.3 */ +
        `content 1500, payload ${nnc.inspect(six).frames[0].payloadSize}, frame ${nnc.inspect(six).frames[0].frameSize}, ` +
        `lane size ${1 << 20}, model ${nnc.loadModel(nnc.defaultModelPath()).metadata.name} (${nnc.inspect(six).frames[0].modelId})`,
    );
    expect(frames[2]).toMatch(/^ {2}frame 2: mixed \(method 2\), level 6, 1 lane, .*content 1000, /);
    expect(frames[3]).toMatch(/^ {2}frame 3: stored, content 2, /);
  });

  it('reads a stream in any chunking as it reads the file (the parameter block split across chunks)', async () => {
    const all = fs.readFileSync(file('all.nnc'));
    const fromFile = await run(['-lv', file('all.nnc')]);
    for (const size of [1, 7, 30, 33, 4096]) {
      const r = await run(['-lv', '-'], chunked(all, size));
      expect([size, r.code, r.stderr]).toEqual([size, 0, '']);
      expect(r.stdout.toString()).toBe(fromFile.stdout.toString().replaceAll(file('all.nnc'), 'stdin'));
    }
    // Cut inside a mixed frame's parameter block: truncated, from the file and the stream.
    const cut = all.subarray(0, one.length + 28 + 3);
    fs.writeFileSync(file('cut.nnc'), cut);
    for (const r of [await run(['-l', file('cut.nnc')]), await run(['-l', '-'], chunked(cut, 5))]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ERR_NNC_TRUNCATED');
    }
  });

  it('a damaged parameter block is reported by -l, as by the decoders', async () => {
    const bad = Buffer.from(six);
    bad[28 + 4] = 30; // HB 30
    fs.writeFileSync(file('bad.nnc'), bad);
    for (const r of [await run(['-l', file('bad.nnc')]), await run(['-l', '-'], chunked(bad, 3))]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/HB = 30 \(expected 10\.\.18\) \(frame at byte 0\).*\(ERR_NNC_CORRUPT\)/);
    }
  });
});
