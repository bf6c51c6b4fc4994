/**
 * `nnc --rm` on a read-only input (mode 444, as logs and downloads often
 * are): the output gets the input's mode, and --rm syncs it to disk before
 * removing the input; syncing after the mode was copied opened a read-only
 * file for writing, so every such file failed with EACCES (root, who may
 * write anything, never saw it). Runs bin/nnc.js (dist/) as an
 * unprivileged user (nobody when the tests run as root).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '..', 'bin', 'nnc.js');
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const posix = process.platform !== 'win32';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-rm-ro-'));
  fs.chmodSync(dir, 0o777);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const nnc = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', ...(isRoot ? { uid: NOBODY, gid: NOBODY } : {}) });

it.skipIf(!posix)('compresses and decompresses a read-only file with --rm, keeping its mode', () => {
  const text = 'a read-only log line\n'.repeat(400);
  const f = path.join(dir, 'ro.txt');
  fs.writeFileSync(f, text);
  if (isRoot) fs.chownSync(f, NOBODY, NOBODY);
  fs.chmodSync(f, 0o444);
  const c = nnc(['--rm', 'ro.txt']);
  expect(c.stderr).toBe('');
  expect(c.status).toBe(0);
  expect(fs.existsSync(f)).toBe(false);
  expect(fs.statSync(`${f}.nnc`).mode & 0o777).toBe(0o444);
  const d = nnc(['-d', '--rm', 'ro.txt.nnc']);
  expect(d.stderr).toBe('');
  expect(d.status).toBe(0);
  expect(fs.readFileSync(f, 'utf8')).toBe(text);
  expect(fs.statSync(f).mode & 0o777).toBe(0o444);
  expect(fs.readdirSync(dir)).toEqual(['ro.txt']);
}, 60_000);
