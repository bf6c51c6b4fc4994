/**
 * CLI safety: outputs are never overwritten without -f, even by a second nnc
 * racing for the same path; an input is removed (--rm) only after its output
 * was written and verified; on a full disk, a file-size limit, a permission
 * error or a signal the partial output is removed and the message says what
 * happened. Each test spawns `node bin/nnc.js` (dist/, built by pretest).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishNoClobber } from '../src/fs/atomic-write.js';
import { generatedText, randomBytes } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'nnc.js');
const TIMEOUT = 60_000;
const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';
/** Appended to the titles of POSIX-only tests, so a skip says why. */
const needsPosix = posix ? '' : ' (skipped: needs POSIX named pipes, signals, ulimit and permissions)';

interface Result {
  code: number | null;
  stderr: string;
}

function nnc(args: string[], opts: { cwd: string; shell?: string; uid?: number } = { cwd: '.' }): Result {
  const r = opts.shell
    ? spawnSync('bash', ['-c', `${opts.shell}; exec "$0" "$@"`, process.execPath, BIN, ...args], { cwd: opts.cwd })
    : spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) });
  return { code: r.status, stderr: r.stderr.toString() };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-safety-'));
});
afterEach(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', [m]);
  fs.rmSync(dir, { recursive: true, force: true });
});
const mounts: string[] = [];

const file = (name: string): string => path.join(dir, name);
const write = (name: string, data: Uint8Array): void => fs.writeFileSync(file(name), data);
const read = (name: string): Buffer => fs.readFileSync(file(name));
const exists = (name: string): boolean => fs.existsSync(file(name));
/** Every leftover temporary file under dir (any depth). */
const temps = (): string[] =>
  (fs.readdirSync(dir, { recursive: true }) as string[]).filter((n) => path.basename(n).startsWith('.') && n.endsWith('.tmp'));

/** A small tmpfs at dir/name (root only); false where mounting is not possible. */
function smallDisk(name: string, size: string): boolean {
  if (!isRoot || process.platform !== 'linux') return false;
  fs.mkdirSync(file(name));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', file(name)]);
  if (r.status !== 0) return false;
  mounts.push(file(name));
  return true;
}
const canMount = (() => {
  if (!isRoot || process.platform !== 'linux') return false;
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-mount-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]).status === 0;
  if (ok) spawnSync('umount', [d]);
  fs.rmSync(d, { recursive: true, force: true });
  return ok;
})();

describe('nnc: never overwrite without -f', () => {
  it('refuses an existing -o target and an existing decompressed file; -f overwrites', () => {
    write('a.txt', generatedText(3000, 1));
    write('old', Buffer.from('precious'));
    const r = nnc(['-o', 'old', 'a.txt'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/old already exists; use -f to overwrite it \(EEXIST\)/);
    expect(read('old').toString()).toBe('precious');
    expect(nnc(['a.txt'], { cwd: dir }).code).toBe(0);
    // Decompressing next to an existing a.txt: refused, a.txt unchanged.
    write('a.txt', Buffer.from('changed'));
    expect(nnc(['-d', 'a.txt.nnc'], { cwd: dir }).code).toBe(1);
    expect(read('a.txt').toString()).toBe('changed');
    expect(nnc(['-d', '-f', 'a.txt.nnc'], { cwd: dir }).code).toBe(0);
    expect(read('a.txt')).toEqual(Buffer.from(generatedText(3000, 1)));
    expect(nnc(['-f', '-o', 'old', 'a.txt'], { cwd: dir }).code).toBe(0);
    expect(read('old')).toEqual(read('a.txt.nnc'));
    expect(temps()).toEqual([]);
  });

  it('publishing without -f is atomic: an output that appeared meanwhile is never replaced', async () => {
    // The window a check-then-rename leaves open, made certain: dest appears after any check.
    write('.tmp-a', Buffer.from('mine'));
    write('dest', Buffer.from('theirs'));
    await expect(publishNoClobber(file('.tmp-a'), file('dest'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(read('dest').toString()).toBe('theirs');
    fs.rmSync(file('dest'));
    await publishNoClobber(file('.tmp-a'), file('dest'));
    expect(read('dest').toString()).toBe('mine');
    expect(exists('.tmp-a')).toBe(false);
  });

  it.skipIf(!posix)(`of two nnc writing the same output at once, exactly one wins and its output is intact${needsPosix}`,
    async () => {
      const inputs = { x: generatedText(200_000, 2), y: generatedText(200_000, 3) };
      /**
       * Both nnc read standard input (named pipes as FILE are refused now, as
       * gzip does). Each gets more than a pipe buffer of its input; once both
       * have read past it, both are past their early "output exists?" check.
       * Only then do both inputs end, and both race to publish the same output.
       */
      const race = async (extra: string[]): Promise<Result[]> => {
        const children = Object.values(inputs).map((data) => {
          const child = spawn(process.execPath, [BIN, ...extra, '-o', 'out.nnc', '-'], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
          const drained = new Promise<void>((resolve) => (child.stdin.write(data) ? resolve() : child.stdin.once('drain', resolve)));
          return { child, done, drained };
        });
        await Promise.all(children.map((c) => c.drained));
        for (const c of children) c.child.stdin.end();
        return Promise.all(children.map((c) => c.done));
      };
      // Level 1: the race is about publishing the output, not about the codec (level 6 took twice as long).
      const [rx, ry] = await race(['-1']);
      expect([rx.code, ry.code].sort()).toEqual([0, 1]);
      const loser = rx.code === 1 ? rx : ry;
      expect(loser.stderr).toMatch(/out\.nnc already exists; use -f to overwrite it \(EEXIST\)/);
      expect(nnc(['-d', '-o', 'back', 'out.nnc'], { cwd: dir }).code).toBe(0);
      expect(read('back')).toEqual(Buffer.from(rx.code === 0 ? inputs.x : inputs.y));
      expect(temps()).toEqual([]);

      // With -f both succeed; the file is one whole archive, never a mix.
      fs.rmSync(file('out.nnc'));
      const [fx, fy] = await race(['-1', '-f']);
      expect([fx.code, fy.code]).toEqual([0, 0]);
      expect(nnc(['-d', '-f', '-o', 'back', 'out.nnc'], { cwd: dir }).code).toBe(0);
      expect([read('back').equals(Buffer.from(inputs.x)), read('back').equals(Buffer.from(inputs.y))]).toContain(true);
      expect(temps()).toEqual([]);
    },
    TIMEOUT,
  );
});

describe('nnc: failures remove the partial output and say what happened', () => {
  it.skipIf(!canMount)(
    `a full disk: ENOSPC, partial output removed, input kept even with --rm${canMount ? '' : ' (skipped: needs root to mount a small tmpfs)'}`,
    () => {
      expect(smallDisk('disk', '128k')).toBe(true);
      write('in.bin', randomBytes(300_000, 4)); // incompressible: a 300 KB stored frame
      const r = nnc(['--rm', '-o', 'disk/in.bin.nnc', 'in.bin'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`nnc: in.bin: cannot write disk/in.bin.nnc: No space left on device; the partial output was removed (ENOSPC)\n`);
      expect(fs.readdirSync(file('disk'))).toEqual([]);
      expect(read('in.bin')).toEqual(Buffer.from(randomBytes(300_000, 4)));
    },
    TIMEOUT,
  );

  it.skipIf(!posix)(`a file-size limit (ulimit -f): EFBIG, partial output removed, input kept with --rm${needsPosix}`, () => {
    write('in.bin', randomBytes(400_000, 5));
    const r = nnc(['--rm', 'in.bin'], { cwd: dir, shell: 'ulimit -f 100' }); // 100 blocks of 512 bytes (bash)
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('nnc: in.bin: cannot write in.bin.nnc: File too large; the partial output was removed (EFBIG)\n');
    expect(exists('in.bin.nnc')).toBe(false);
    expect(exists('in.bin')).toBe(true);
    expect(temps()).toEqual([]);
  });

  it.skipIf(!posix)(`a directory without write permission: EACCES, nothing written${needsPosix}`, () => {
    // As root permissions do not apply: run nnc as nobody then.
    fs.chmodSync(dir, 0o755);
    write('in.txt', generatedText(2000, 6));
    fs.chmodSync(file('in.txt'), 0o644);
    fs.mkdirSync(file('ro'), { mode: 0o555 });
    fs.chmodSync(file('ro'), 0o555);
    const r = nnc(['-o', 'ro/in.txt.nnc', 'in.txt'], { cwd: dir, ...(isRoot ? { uid: 65534 } : {}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('nnc: in.txt: cannot write ro/in.txt.nnc: Permission denied; nothing was written (EACCES)\n');
    expect(fs.readdirSync(file('ro'))).toEqual([]);
  });

  it.skipIf(!posix)(`SIGINT and SIGTERM: exit 130 / 143, the partial output removed, and a message saying so${needsPosix}`,
    async () => {
      write('big.txt', generatedText(2_000_000, 7));
      for (const [sig, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
        // The ts engine is slow enough to be interrupted mid-file.
        const child = spawn(process.execPath, [BIN, '--engine', 'ts', '--frame-size', '16K', 'big.txt'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        const deadline = Date.now() + 20_000;
        while (temps().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(temps().length).toBe(1);
        child.kill(sig);
        expect(await exited).toBe(status);
        expect(stderr).toBe(`nnc: interrupted (${sig}); removed the partial output big.txt.nnc\n`);
        expect(temps()).toEqual([]);
        expect(exists('big.txt.nnc')).toBe(false);
      }
    },
    TIMEOUT,
  );

  it('a damaged archive: the error code, no output, the input kept with --rm', () => {
    write('a.txt', generatedText(5000, 8));
    expect(nnc(['a.txt'], { cwd: dir }).code).toBe(0);
    const arc = read('a.txt.nnc');
    arc[28 + arc.readUInt32LE(24) + 7] ^= 1; // the first frame's stored checksum (28-byte header, payload, 8-byte checksum)
    write('b.nnc', arc);
    const r = nnc(['-d', '--rm', 'b.nnc'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nnc: b\.nnc: .*\(ERR_NNC_CHECKSUM\)\n$/);
    expect(exists('b')).toBe(false);
    expect(exists('b.nnc')).toBe(true);
    expect(temps()).toEqual([]);
  });
});
