/**
 * Temporary output names fit the file system: `.NAME.PID.RANDOM.tmp` adds
 * about 20 bytes to NAME, so an output whose own name fits (up to 255
 * bytes) could not be written (ENAMETOOLONG) when its temporary file was
 * named after all of it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tempNamePid, tempPathFor } from '../src/fs/atomic-write.js';

const BIN = path.resolve(__dirname, '..', 'bin', 'nnc.js');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-names-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

it.each([
  ['short', 'a.txt.nnc'],
  ['255 ASCII bytes', 'x'.repeat(251) + '.nnc'],
  ['multibyte, cut at a character', 'é'.repeat(100) + '€'.repeat(17) + '.nnc'],
])('a temporary name for a %s name: at most 255 bytes, beside it, recognised', (_what, name) => {
  expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  const tmp = tempPathFor(path.join(dir, name));
  expect(path.dirname(tmp)).toBe(dir);
  const base = path.basename(tmp);
  expect(Buffer.byteLength(base)).toBeLessThanOrEqual(255);
  expect(base).not.toContain('\uFFFD');
  expect(tempNamePid(tmp)).toBe(process.pid);
  fs.writeFileSync(tmp, 'ok'); // the file system takes the name
});

it('nnc compresses and decompresses a file whose name is 240 bytes long', () => {
  const name = 'n'.repeat(240);
  fs.writeFileSync(path.join(dir, name), 'some text to compress\n'.repeat(50));
  const c = spawnSync(process.execPath, [BIN, '--rm', name], { cwd: dir, encoding: 'utf8' });
  expect(c.stderr).toBe('');
  expect(c.status).toBe(0);
  const d = spawnSync(process.execPath, [BIN, '-d', `${name}.nnc`], { cwd: dir, encoding: 'utf8' });
  expect(d.status).toBe(0);
  expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe('some text to compress\n'.repeat(50));
  expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
}, 60_000);
