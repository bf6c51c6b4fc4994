/**
 * nnc train/prune/eval read only regular files: a FIFO given as a training
 * file, a checkpoint to resume or a file to evaluate was read with a blocking open, which
 * holds the main thread, so SIGINT/SIGTERM could not end nnc (only
 * SIGKILL). Runs bin/nnc.js (dist/) in a child, killed after a while if it
 * hangs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '..', 'bin', 'nnc.js');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-train-inputs-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const nnc = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: dir, timeout: 8_000, killSignal: 'SIGKILL', encoding: 'utf8' });

it.each([
  ['a training file', (fifo: string) => ['train', fifo, '-o', 'x.nncm']],
  ['a checkpoint to resume', (fifo: string) => ['train', '--resume', fifo, '-o', 'x.nncm']],
  ['a file to evaluate', (fifo: string) => ['eval', fifo]],
])('a FIFO as %s is refused at once, not read with a blocking open', (_what, args) => {
  const fifo = path.join(dir, 'fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const r = nnc(args(fifo));
  expect(r.signal, 'nnc hung on the FIFO and was killed').toBeNull();
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('not a regular file');
  expect(fs.existsSync(fifo)).toBe(true);
  expect(fs.existsSync(path.join(dir, 'x.nncm'))).toBe(false);
}, 20_000);

it('train -f never replaces a FIFO (or device) with the model: -f is for files', () => {
  const fifo = path.join(dir, 'model.nncm');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(400);
  fs.writeFileSync(path.join(dir, 'a.txt'), text);
  const r = spawnSync(process.execPath, [BIN, 'train', 'a.txt', '-o', fifo, '-f', '--size', 'tiny', '--epochs', '1', '-T', '2', '-q'], {
    cwd: dir, timeout: 60_000, killSignal: 'SIGKILL', encoding: 'utf8',
  });
  expect(r.signal).toBeNull();
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('model.nncm');
  expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}, 90_000);
