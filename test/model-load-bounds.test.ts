/**
 * Model files are checked for type and size before a byte is read (issue 10
 * item 2): a FIFO never blocks, /dev/zero or a huge sparse file fail at once
 * with bounded memory. Each case runs in a child (against dist/, as the CLI
 * does) with a time limit, so a blocking or runaway read fails the test
 * instead of hanging or exhausting the machine, and the child reports its
 * peak RSS.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/index.js';
import { MAX_MODEL_FILE } from '../src/format/model-file.js';

const ROOT = path.resolve(__dirname, '..');
const LIMIT_MS = 15_000;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-model-bounds-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code?: string;
  message?: string;
  ms: number;
  maxRssMB: number;
}

/** loadModel(file) in a child with a time limit; what it threw, how long it took, its peak RSS. */
function loadInChild(file: string): Outcome {
  const script = `
    const t0 = Date.now();
    let out = {};
    try { require(${JSON.stringify(ROOT)}).loadModel(${JSON.stringify(file)}); out = { code: 'loaded' }; }
    catch (e) { out = { code: e.code, message: e.message }; }
    out.ms = Date.now() - t0;
    out.maxRssMB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: LIMIT_MS, killSignal: 'SIGKILL', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child did not finish within ${LIMIT_MS} ms (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome;
}

/** The same through the CLI: `nnc -m FILE -c input`. */
function cliWithModel(file: string): { status: number | null; stderr: string; ms: number } {
  const input = path.join(dir, 'input.txt');
  fs.writeFileSync(input, 'some text to compress\n');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nnc.js'), '-m', file, '-c', input], {
    timeout: LIMIT_MS,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

describe('model files are checked before they are read', () => {
  it('the limit is the format maximum: 24 + 2^28 + 2^20 bytes', () => {
    expect(MAX_MODEL_FILE).toBe(24 + 2 ** 28 + 2 ** 20);
  });

  it.runIf(process.platform !== 'win32')('a FIFO with no writer is refused at once, never opened for a blocking read', () => {
    const fifo = path.join(dir, 'model.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = loadInChild(fifo);
    expect(r.code).toBe('ERR_NNC_BAD_MODEL');
    expect(r.message).toMatch(/FIFO, not a regular file/);
    expect(r.ms).toBeLessThan(2000);
    const cli = cliWithModel(fifo);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/ERR_NNC_BAD_MODEL/);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });

  it('a sparse file of 2^29 bytes fails at once with bounded memory', () => {
    const big = path.join(dir, 'huge.nncm');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 2 ** 29);
    const r = loadInChild(big);
    expect(r.code).toBe('ERR_NNC_BAD_MODEL');
    expect(r.message).toMatch(/536870912 bytes, more than/);
    expect(r.ms).toBeLessThan(2000);
    expect(r.maxRssMB).toBeLessThan(200);
  });

  it.runIf(fs.existsSync('/dev/zero'))('/dev/zero is refused at once, from the API and from nnc -m', () => {
    const r = loadInChild('/dev/zero');
    expect(r.code).toBe('ERR_NNC_BAD_MODEL');
    expect(r.message).toMatch(/device, not a regular file/);
    expect(r.maxRssMB).toBeLessThan(200);
    const cli = cliWithModel('/dev/zero');
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/\/dev\/zero is a device.*ERR_NNC_BAD_MODEL/);
    expect(cli.ms).toBeLessThan(LIMIT_MS);
  });

  it('a directory is not a model', () => {
    expect(() => loadModel(dir)).toThrow(expect.objectContaining({ code: 'ERR_NNC_BAD_MODEL', message: expect.stringMatching(/is a directory/) }));
  });

  it('a missing file still says so', () => {
    expect(() => loadModel(path.join(dir, 'absent.nncm'))).toThrow(/no such file/);
  });
});
