/**
 * Which files the CLI touches, as gzip and zstd: only regular files are
 * compressed or decompressed to files (devices, FIFOs and links refused,
 * nothing created beside them, never removed by --rm, a FIFO never blocks);
 * --rm keeps an input that changed during the run; and the CLI says what
 * happened: a file that did not compress, the slow ts engine in use, a
 * leftover temporary file. Each test spawns `node bin/nnc.js` (dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatedText, randomBytes } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'nnc.js');
const TIMEOUT = 60_000;
const posix = process.platform !== 'win32';
const needsPosix = posix ? '' : ' (skipped: needs POSIX FIFOs, device nodes and signals)';

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function nnc(args: string[], opts: { bin?: string; timeout?: number; input?: Buffer } = {}): Result {
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], {
    cwd: dir,
    input: opts.input ?? Buffer.alloc(0),
    timeout: opts.timeout ?? 30_000,
    killSignal: 'SIGKILL', // a hung nnc may ignore SIGTERM (an open() blocked on a FIFO did)
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Start nnc; resolves when it exits. */
function nncAsync(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<Result> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr })));
  return { child, done };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-files-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const file = (name: string): string => path.join(dir, name);
const write = (name: string, data: Uint8Array): void => fs.writeFileSync(file(name), data);
const read = (name: string): Buffer => fs.readFileSync(file(name));
const exists = (name: string): boolean => {
  try {
    fs.lstatSync(file(name));
    return true;
  } catch {
    return false;
  }
};

const mkfifo = (name: string): void => {
  expect(spawnSync('mkfifo', [file(name)]).status).toBe(0);
};

/** A character device node like /dev/null (root only); false where mknod is not allowed. */
const canMknod = (() => {
  if (!posix) return false;
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-mknod-'));
  const ok = spawnSync('mknod', [path.join(d, 'n'), 'c', '1', '3']).status === 0;
  fs.rmSync(d, { recursive: true, force: true });
  return ok;
})();
const needsMknod = canMknod ? '' : ' (skipped: mknod is not allowed here; it needs root)';

describe('nnc: regular files only, like gzip and zstd', () => {
  it.skipIf(!posix)(`refuses a FIFO (exit 2) at once, without waiting for a writer, and with --rm keeps it${needsPosix}`, () => {
    mkfifo('ff');
    for (const args of [['ff'], ['--rm', 'ff'], ['-f', '--rm', 'ff'], ['-d', 'ff'], ['-o', 'out.nnc', 'ff']]) {
      const started = Date.now();
      const r = nnc(args, { timeout: 10_000 }); // before: blocked in open() until killed
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('nnc: ff: not a regular file -- ignored (a FIFO; use -c to read it to standard output)\n');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(fs.lstatSync(file('ff')).isFIFO()).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(['ff']); // nothing created beside it
    }
  });

  it.skipIf(!canMknod)(`refuses a character device (exit 2); --rm never removes it${needsMknod}`, () => {
    expect(spawnSync('mknod', [file('mynull'), 'c', '1', '3']).status).toBe(0);
    for (const args of [['mynull'], ['--rm', 'mynull'], ['-f', '--rm', 'mynull']]) {
      const r = nnc(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('nnc: mynull: not a regular file -- ignored (a character device; use -c to read it to standard output)\n');
      expect(fs.lstatSync(file('mynull')).isCharacterDevice()).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(['mynull']);
    }
    // With -c it is read like any stream: an empty device gives an empty archive.
    const c = nnc(['-c', 'mynull']);
    expect(c.code).toBe(0);
    expect(nnc(['-dc'], { input: c.stdout })).toMatchObject({ code: 0, stdout: Buffer.alloc(0) });
  });

  it.skipIf(!posix)(`nnc /dev/null creates nothing beside it${needsPosix}`, () => {
    expect(fs.existsSync('/dev/null.nnc')).toBe(false); // else an earlier nnc left it: remove it first
    try {
      const r = nnc(['/dev/null']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^nnc: \/dev\/null: not a regular file -- ignored/);
      expect(fs.existsSync('/dev/null.nnc')).toBe(false);
    } finally {
      fs.rmSync('/dev/null.nnc', { force: true });
    }
  });

  it.skipIf(!canMknod)(`never replaces an existing output that is a device, even with -f${needsMknod}`, () => {
    write('a.txt', generatedText(3000, 1));
    expect(spawnSync('mknod', [file('dev'), 'c', '1', '3']).status).toBe(0);
    for (const args of [['-o', 'dev', 'a.txt'], ['-f', '-o', 'dev', 'a.txt']]) {
      const r = nnc(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^nnc: a\.txt: dev exists and is not a regular file; not replacing it, even with -f/);
      expect(fs.lstatSync(file('dev')).isCharacterDevice()).toBe(true);
    }
  });

  it.skipIf(!posix)(`reads a FIFO with -c and -t; a FIFO with no writer still ends on SIGTERM${needsPosix}`,
    async () => {
      const data = generatedText(20_000, 2);
      write('a.txt', data);
      const expected = nnc(['-c', 'a.txt']).stdout;
      mkfifo('ff');
      const run = nncAsync(['-c', 'ff']);
      const fh = await fs.promises.open(file('ff'), 'w'); // waits for nnc to open it for reading
      await fh.writeFile(data);
      await fh.close();
      const r = await run.done;
      expect(r.code).toBe(0);
      expect(r.stdout).toEqual(expected);

      const t = nncAsync(['-t', 'ff']);
      const w = await fs.promises.open(file('ff'), 'w');
      await w.writeFile(expected);
      await w.close();
      expect((await t.done).code).toBe(0);

      // No writer ever comes: the open must not hold a thread that process.exit() would wait for.
      const idle = nncAsync(['-c', 'ff']);
      await new Promise((r) => setTimeout(r, 500));
      idle.child.kill('SIGTERM');
      const killer = setTimeout(() => idle.child.kill('SIGKILL'), 10_000);
      const end = await idle.done;
      clearTimeout(killer);
      expect(end.code).toBe(143);
    },
    TIMEOUT,
  );

  it.skipIf(!posix)(`a symbolic link is refused unless -f (then followed); -c follows it${needsPosix}`, () => {
    const data = generatedText(3000, 3);
    write('a.txt', data);
    fs.symlinkSync('a.txt', file('link'));
    const r = nnc(['--rm', 'link']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('nnc: link: is a symbolic link -- ignored (use -f to follow it, or -c)\n');
    expect(exists('link.nnc')).toBe(false);
    expect(exists('link')).toBe(true);

    const c = nnc(['-c', 'link']);
    expect(c.code).toBe(0);
    expect(c.stdout).toEqual(nnc(['-c', 'a.txt']).stdout);

    expect(nnc(['-f', 'link']).code).toBe(0);
    expect(read('link.nnc')).toEqual(c.stdout);
    expect(read('a.txt')).toEqual(Buffer.from(data));
  });
});

describe('nnc --rm', () => {
  it(
    'keeps an input that was appended to during the run, with every line, and the archive',
    async () => {
      const original = Buffer.from(generatedText(300_000, 4));
      write('log.txt', original);
      const run = nncAsync(['-1', '--rm', 'log.txt']); // level 1: the test is about --rm, at the speed it was written for
      // Append a line every few ms until nnc exits, as a logger would. Opening without
      // O_CREAT: once nnc has removed the file, appending fails instead of recreating it.
      const appended: string[] = [];
      let removed = false;
      let exited = false;
      void run.done.then(() => (exited = true));
      while (!exited) {
        try {
          const fd = fs.openSync(file('log.txt'), fs.constants.O_WRONLY | fs.constants.O_APPEND);
          const line = `appended line ${appended.length}\n`;
          fs.writeSync(fd, line);
          fs.closeSync(fd);
          appended.push(line);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          removed = true;
        }
        await new Promise((r) => setTimeout(r, 3));
      }
      const r = await run.done;
      expect(removed).toBe(false);
      expect(r.stderr).toBe('nnc: log.txt: changed while it was being compressed -- not removed\n');
      expect(r.code).toBe(2);
      expect(read('log.txt')).toEqual(Buffer.concat([original, Buffer.from(appended.join(''))]));
      // The archive is whole and holds what was read: a prefix of the file, at least the original.
      const back = nnc(['-dc', 'log.txt.nnc']);
      expect(back.code).toBe(0);
      expect(back.stdout.length).toBeGreaterThanOrEqual(original.length);
      expect(back.stdout).toEqual(read('log.txt').subarray(0, back.stdout.length));
    },
    TIMEOUT,
  );

  it('removes an input that did not change', () => {
    write('a.txt', generatedText(4000, 5));
    const r = nnc(['--rm', 'a.txt']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(exists('a.txt')).toBe(false);
    expect(nnc(['-dc', 'a.txt.nnc']).stdout).toEqual(Buffer.from(generatedText(4000, 5)));
  });
});

describe('nnc says what happened', () => {
  it('warns (exit 0) when a file did not compress, naming the model; -q silences it', () => {
    write('r.bin', randomBytes(5000, 6));
    const id = /^id: ([0-9a-f]{16})$/m.exec(nnc(['model', 'info']).stdout.toString())![1];
    const r = nnc(['r.bin']);
    expect(r.code).toBe(0);
    // -m auto (the default): no single model to name.
    expect(r.stderr).toMatch(
      /^nnc: r\.bin: warning: did not compress \(ratio 0\.9\d\d\) with any of the models -m auto chooses among \(nnc model list\); .*nnc train FILE\.\.\. -o MODEL\.nncm/,
    );
    expect(exists('r.bin.nnc')).toBe(true);
    // A given model is named.
    expect(nnc(['-f', '-m', path.join(ROOT, 'models', 'default.nncm'), 'r.bin']).stderr).toMatch(
      new RegExp(`^nnc: r\\.bin: warning: did not compress \\(ratio 0\\.9\\d\\d\\) with model \\S+ \\(${id}\\); `),
    );
    expect(nnc(['-q', '-f', 'r.bin'])).toMatchObject({ code: 0, stderr: '' });
    // To standard output as well; and nothing for data that compresses.
    expect(nnc(['-c', 'r.bin']).stderr).toMatch(/^nnc: r\.bin: warning: did not compress/);
    write('t.txt', generatedText(5000, 7));
    expect(nnc(['t.txt'])).toMatchObject({ code: 0, stderr: '' });
  });

  it(
    'warns once when the addon does not load and the ts engine runs instead, with the reason',
    () => {
      // A copy of the package without node_modules: the addon's loader cannot be found.
      const pkg = file('pkg');
      for (const p of ['bin', 'dist', 'models', 'package.json']) fs.cpSync(path.join(ROOT, p), path.join(pkg, p), { recursive: true });
      const reason = spawnSync(process.execPath, [
        '-e',
        `process.stdout.write(require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))}).engineInfo().engines.find((e) => e.name === 'cpu').reason)`,
      ]).stdout.toString();
      expect(reason).not.toBe('');
      const bin = path.join(pkg, 'bin', 'nnc.js');
      write('a.txt', generatedText(1500, 8));
      write('b.txt', generatedText(1500, 9));
      const r = nnc(['-c', 'a.txt', 'b.txt'], { bin });
      expect(r.code).toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.includes('ts engine'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^nnc: warning: using the ts engine .*about 200 times slower/);
      expect(lines[0]).toContain(reason);
      expect(nnc(['-dc'], { input: r.stdout }).stdout).toEqual(Buffer.concat([read('a.txt'), read('b.txt')]));
      expect(nnc(['-q', '-c', 'a.txt'], { bin }).stderr).toBe('');
      expect(nnc(['--engine', 'ts', '-c', 'a.txt'], { bin }).stderr).toBe(''); // asked for: nothing fell back
    },
    TIMEOUT,
  );

  it('-t, -d and -l on a leftover temporary file say what it is', () => {
    write('a.txt', generatedText(20_000, 10));
    expect(nnc(['a.txt']).code).toBe(0);
    const arc = read('a.txt.nnc');
    // What a run killed with SIGKILL leaves: the start of an archive under the temporary name.
    const leftover = '.a.txt.nnc.999999.0badf00d.tmp';
    write(leftover, arc.subarray(0, arc.length - 100));
    const t = nnc(['-t', leftover]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`nnc: ${leftover}: looks like the temporary file of an interrupted nnc run`);
    expect(t.stderr).toContain('no process 999999 is running: it can be removed');
    // The library's error, with its byte offset, follows.
    expect(t.stderr).toMatch(new RegExp(`^nnc: ${leftover.replace(/\./g, '\\.')}: .*byte \\d+.*\\(ERR_NNC_TRUNCATED\\)$`, 'm'));
    for (const mode of ['-d', '-l']) expect(nnc([mode, leftover]).stderr).toContain('looks like the temporary file of an interrupted nnc run');
    // An ordinary name gets no such hint.
    write('cut.nnc', arc.subarray(0, arc.length - 100));
    expect(nnc(['-t', 'cut.nnc']).stderr).not.toContain('temporary file');
  });
});
