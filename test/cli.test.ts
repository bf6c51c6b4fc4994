/**
 * End-to-end tests of the `nnc` command: each spawns `node bin/nnc.js` (which
 * runs dist/, built by `npm test`'s pretest) in a fresh temporary directory.
 * Inputs are a few KB so the whole file runs in seconds with the auto engine.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { engineChoices } from '../src/engine/registry.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'nnc.js');
const TIMEOUT = 60_000;

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function nnc(args: string[], opts: { cwd: string; input?: Buffer }): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    input: opts.input ?? Buffer.alloc(0),
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Deterministic English-like text: compressible, so archives hold neural frames. */
function text(bytes: number, seed = 1): Buffer {
  const words = ['the', 'model', 'predicts', 'each', 'byte', 'from', 'context', 'and', 'a', 'coder', 'writes', 'bits', 'lossless', 'of', 'data'];
  let x = seed >>> 0;
  let s = '';
  while (s.length < bytes) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += words[(x >>> 16) % words.length] + ((x >>> 8) % 11 === 0 ? '.\n' : ' ');
  }
  return Buffer.from(s.slice(0, bytes));
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-cli-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const file = (name: string): string => path.join(dir, name);
const write = (name: string, data: Buffer): void => fs.writeFileSync(file(name), data);
const read = (name: string): Buffer => fs.readFileSync(file(name));
const exists = (name: string): boolean => fs.existsSync(file(name));
const tempFiles = (): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('argument parsing', () => {
  it('combines short flags and takes values attached or separate', () => {
    const o = parseArgs(['-dcf', '-T4', '-m', 'x.nncm', 'a', '--lane-size=64K', '-vq', 'b']);
    expect(o.mode).toBe('decompress');
    expect(o.stdout).toBe(true);
    expect(o.force).toBe(true);
    expect(o.threads).toBe(4);
    expect(o.model).toBe('x.nncm');
    expect(o.laneSize).toBe(65536);
    expect(o.verbosity).toBe(0);
    expect(o.files).toEqual(['a', 'b']);
    expect(parseArgs(['-T', '2', '-kt']).threads).toBe(2);
    expect(parseArgs(['-oout', 'in']).output).toBe('out');
  });

  it('treats everything after -- as files, and - as stdin', () => {
    expect(parseArgs(['-k', '--', '-d', '-']).files).toEqual(['-d', '-']);
    expect(parseArgs(['-']).files).toEqual(['-']);
  });

  it('rejects unknown options and bad values', () => {
    expect(() => parseArgs(['-Y'])).toThrow(/unknown option -Y/);
    expect(() => parseArgs(['--nope'])).toThrow(/unknown option --nope/);
    expect(() => parseArgs(['-T'])).toThrow(/requires a value/);
    expect(() => parseArgs(['-T', 'x'])).toThrow(/integer/);
    expect(() => parseArgs(['--engine', 'gpu'])).toThrow(`expects ${engineChoices('')}, not "gpu"`);
    expect(() => parseArgs(['--lane-size', '0'])).toThrow(/positive size/);
  });

  it('nnc train, prune and eval parse with the same rules and words', async () => {
    const { main } = await import('../src/cli/nnc.js');
    const run = async (...args: string[]) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const err: Buffer[] = [];
      stderr.on('data', (c: Buffer) => err.push(c));
      const code = await main(args, { stdin: Readable.from([]), stdout, stderr, signals: false });
      return { code, stderr: Buffer.concat(err).toString() };
    };
    // Values attached, clustered or after `=`; `--` ends the options (the checks after parsing then speak).
    const model = path.join(os.tmpdir(), `nnc-parse-${process.pid}.nncm`);
    expect(await run('train', '-qfT2', '--epochs=1', '-o', model, '--', '-x')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cannot read training file -x'),
    });
    expect(fs.existsSync(model)).toBe(false);
    expect((await run('prune', '-qT2', '--epochs=1', '--resume=r.ckpt')).stderr).toBe(
      "nnc: prune: nnc prune needs -o DIR\nTry 'nnc prune --help' for more information.\n",
    );
    expect((await run('train', 'f', '-o', 'm', '--engine', 'gpu')).stderr).toContain(`--engine expects ${engineChoices('')}, not "gpu"`);
    expect((await run('train', 'f', '--epochs')).stderr).toContain('option --epochs requires a value');
    expect((await run('eval', '-Y')).stderr).toContain('unknown option -Y for nnc eval');
    expect((await run('train', 'f', '-o', 'm', '--epochs', '0')).stderr).toContain('--epochs expects an integer from 1 to 10000, got 0');
  });
});

describe('nnc', () => {
  it(
    'round trips file to file and keeps the input by default',
    () => {
      const data = text(6000);
      write('a.txt', data);
      const c = nnc(['a.txt'], { cwd: dir });
      expect(c.stderr).toBe('');
      expect(c.code).toBe(0);
      expect(read('a.txt')).toEqual(data); // kept (-k is the default)
      expect(read('a.txt.nnc').length).toBeLessThanOrEqual(data.length + 36); // at worst one stored frame

      fs.renameSync(file('a.txt'), file('orig.txt'));
      const d = nnc(['-d', 'a.txt.nnc'], { cwd: dir });
      expect(d.code).toBe(0);
      expect(read('a.txt')).toEqual(data);
      expect(exists('a.txt.nnc')).toBe(true);
      expect(tempFiles()).toEqual([]);

      // `nnc decompress` is -d; `nnc compress` the default; -k is accepted.
      fs.rmSync(file('a.txt'));
      expect(nnc(['decompress', '-k', 'a.txt.nnc'], { cwd: dir }).code).toBe(0);
      expect(read('a.txt')).toEqual(data);
      expect(nnc(['compress', '-c', 'a.txt'], { cwd: dir }).stdout).toEqual(read('a.txt.nnc'));
    },
    TIMEOUT,
  );

  it(
    'writes to stdout with -c and reads stdin when no file or - is given',
    () => {
      const data = text(4000, 7);
      write('b.txt', data);
      const c = nnc(['-c', 'b.txt'], { cwd: dir });
      expect(c.code).toBe(0);
      expect(exists('b.txt.nnc')).toBe(false);
      const d = nnc(['-dc'], { cwd: dir, input: c.stdout });
      expect(d.code).toBe(0);
      expect(d.stdout).toEqual(data);

      const s = nnc([], { cwd: dir, input: data });
      expect(s.code).toBe(0);
      expect(s.stdout).toEqual(c.stdout); // deterministic
      const s2 = nnc(['-d', '-'], { cwd: dir, input: s.stdout });
      expect(s2.stdout).toEqual(data);

      // -o names the output; several inputs with -c concatenate into one valid archive.
      expect(nnc(['-o', 'out.nnc', 'b.txt'], { cwd: dir }).code).toBe(0);
      expect(read('out.nnc')).toEqual(c.stdout);
      write('e.txt', text(3000, 9));
      const cat = nnc(['-c', 'b.txt', 'e.txt'], { cwd: dir });
      expect(nnc(['-dc'], { cwd: dir, input: cat.stdout }).stdout).toEqual(Buffer.concat([data, read('e.txt')]));
    },
    TIMEOUT,
  );

  it(
    '--rm removes the input only after the output was written and verified',
    () => {
      const data = text(5000, 3);
      write('c.txt', data);
      write('c.txt.nnc', Buffer.from('existing'));
      // Output exists: nothing written, input kept.
      const refused = nnc(['--rm', 'c.txt'], { cwd: dir });
      expect(refused.code).toBe(1);
      expect(read('c.txt')).toEqual(data);
      expect(read('c.txt.nnc').toString()).toBe('existing');

      const ok = nnc(['--rm', '-f', 'c.txt'], { cwd: dir });
      expect(ok.code).toBe(0);
      expect(exists('c.txt')).toBe(false);
      const back = nnc(['-d', '--rm', 'c.txt.nnc'], { cwd: dir });
      expect(back.code).toBe(0);
      expect(read('c.txt')).toEqual(data);
      expect(exists('c.txt.nnc')).toBe(false);
      expect(tempFiles()).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'refuses to overwrite without -f and overwrites with -f',
    () => {
      write('d.txt', text(3000, 4));
      write('d.txt.nnc', Buffer.from('keep me'));
      const r = nnc(['d.txt'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/d\.txt\.nnc already exists.*-f/);
      expect(read('d.txt.nnc').toString()).toBe('keep me');
      const f = nnc(['-f', 'd.txt'], { cwd: dir });
      expect(f.code).toBe(0);
      expect(nnc(['-dc', 'd.txt.nnc'], { cwd: dir }).stdout).toEqual(read('d.txt'));
    },
    TIMEOUT,
  );

  it(
    '-t reports OK, and fails with exit 1 and the error code on a damaged archive, leaving no temp files',
    () => {
      const data = text(6000, 5);
      write('e.txt', data);
      expect(nnc(['e.txt'], { cwd: dir }).code).toBe(0);
      const t = nnc(['-t', 'e.txt.nnc'], { cwd: dir });
      expect(t.code).toBe(0);
      expect(t.stdout.toString()).toBe('e.txt.nnc: OK\n');

      const bad = Buffer.from(read('e.txt.nnc'));
      bad[bad.length - 20] ^= 0x55; // inside the payload
      write('bad.nnc', bad);
      const tb = nnc(['-t', 'bad.nnc'], { cwd: dir });
      expect(tb.code).toBe(1);
      expect(tb.stderr).toMatch(/^nnc: bad\.nnc: .+ \(ERR_NNC_(CHECKSUM|CORRUPT)\)$/m);

      write('short.nnc', read('e.txt.nnc').subarray(0, 40));
      const ts = nnc(['-t', 'short.nnc'], { cwd: dir });
      expect(ts.code).toBe(1);
      expect(ts.stderr).toMatch(/ERR_NNC_TRUNCATED/);

      // Decompressing the damaged archive writes nothing and leaves no temporary file.
      const d = nnc(['-d', 'bad.nnc', 'short.nnc'], { cwd: dir });
      expect(d.code).toBe(1);
      expect(exists('bad')).toBe(false);
      expect(exists('short')).toBe(false);
      expect(tempFiles()).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    '-l lists sizes, ratio and the model by name; model info prints the architecture',
    () => {
      const info = nnc(['model', 'info'], { cwd: dir });
      expect(info.code).toBe(0);
      const out = info.stdout.toString();
      expect(out).toMatch(/^parameters: \d+$/m);
      expect(out).toMatch(/alphabet: \d+ symbols \(\d+ byte values \+ escape\)/);
      const id = /^id: ([0-9a-f]{16})$/m.exec(out)?.[1];
      expect(id).toBeDefined();
      const name = (JSON.parse(out.slice(out.indexOf('metadata: ') + 'metadata: '.length)) as { name?: string }).name ?? id;

      const data = text(8000, 6);
      write('f.txt', data);
      // The default model pinned: -m auto would choose among whatever models the package ships.
      expect(nnc(['-m', path.join(ROOT, 'models', 'default.nncm'), 'f.txt'], { cwd: dir }).code).toBe(0);
      const size = read('f.txt.nnc').length;
      const l = nnc(['-l', 'f.txt.nnc'], { cwd: dir });
      expect(l.code).toBe(0);
      const lines = l.stdout.toString().trim().split('\n');
      expect(lines[0]).toMatch(/compressed\s+uncompressed\s+ratio\s+bits\/byte\s+method\s+level\s+model\s+frames\s+name/);
      const cols = lines[1].trim().split(/\s+/);
      expect(cols[0]).toBe(String(size));
      expect(cols[1]).toBe(String(data.length));
      expect(cols[6]).toBe(name);
      expect(cols[cols.length - 1]).toBe('f.txt.nnc');
    },
    TIMEOUT,
  );

  it(
    'warns (exit 2) on a wrong suffix with -d, and continues after a missing file (exit 1)',
    () => {
      write('g.txt', text(2000, 8));
      const w = nnc(['-d', 'g.txt'], { cwd: dir });
      expect(w.code).toBe(2);
      expect(w.stderr).toMatch(/g\.txt: unknown suffix/);
      expect(nnc(['-dq', 'g.txt'], { cwd: dir })).toMatchObject({ code: 2, stderr: '' });

      const m = nnc(['missing.txt', 'g.txt'], { cwd: dir });
      expect(m.code).toBe(1);
      expect(m.stderr).toMatch(/^nnc: missing\.txt: .*\(ENOENT\)$/m);
      expect(exists('g.txt.nnc')).toBe(true);
      expect(nnc(['-dc', 'g.txt.nnc'], { cwd: dir }).stdout).toEqual(read('g.txt'));
    },
    TIMEOUT,
  );

  it('prints help and version; unknown options exit 1', () => {
    const h = nnc(['--help'], { cwd: dir });
    expect(h.code).toBe(0);
    expect(h.stdout.toString()).toMatch(/^Usage: nnc/);
    expect(nnc(['-V'], { cwd: dir }).stdout.toString()).toMatch(/^nnc \d+\.\d+\.\d+/);
    const u = nnc(['--frobnicate'], { cwd: dir });
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/unknown option --frobnicate/);
    expect(nnc(['-o', 'x', 'a', 'b'], { cwd: dir }).code).toBe(1);
  });

  it('refuses to write compressed data to a terminal unless -f', async () => {
    const { main } = await import('../src/cli/nnc.js');
    const stdout = Object.assign(new PassThrough(), { isTTY: true });
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (c: Buffer) => err.push(c));
    const code = await main([], { stdin: Readable.from([Buffer.from('hi')]), stdout, stderr, signals: false });
    expect(code).toBe(1);
    expect(Buffer.concat(err).toString()).toMatch(/terminal.*-o FILE/);
  });

  it(
    'removes the temporary file and exits 130 on SIGINT',
    async () => {
      write('big.txt', text(2_000_000, 2));
      // The TypeScript engine is slow enough (tens of KB/s) to be interrupted mid-file.
      const child = spawn(process.execPath, [BIN, '--engine', 'ts', '--frame-size', '16K', 'big.txt'], { cwd: dir, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 20_000;
      while (tempFiles().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(tempFiles().length).toBe(1);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(tempFiles()).toEqual([]);
      expect(exists('big.txt.nnc')).toBe(false);
    },
    TIMEOUT,
  );
});
