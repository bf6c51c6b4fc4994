/**
 * The published declarations (dist/*.d.ts) compile for a TypeScript user who
 * lists no ambient types (`"types": []`, TypeScript 7's default) and does not
 * skip library checks (issue 10 item 4): a small consumer, in a temporary
 * project where `nnc-native` is a link to this checkout, is type-checked with
 * the installed TypeScript 5 and, when the `typescript7` alias
 * (npm:typescript@7) is installed, with TypeScript 7 too.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
let dir: string;

const CONSUMER = `
import * as nnc from 'nnc-native';
import { compress, decompress, NncError, type CompressOptions } from 'nnc-native';

export async function main(): Promise<number> {
  const opts: CompressOptions = { engine: 'auto', threads: 2, maxOutputLength: 1 << 20, modelPath: ['models'], signal: new AbortController().signal };
  const packed = await compress('some text', opts);
  const back = await decompress(packed, { modelPath: 'a:b' });
  compress(back, (err, out) => {
    if (err) throw err;
    const n: number = out!.length;
    void n;
  });
  decompress(packed, opts, (err: Error | null, out?: Uint8Array) => void [err, out]);
  const none: void = compress(back, () => {});
  void none;
  nnc.createCompressStream().pipe(nnc.createDecompressStream());
  const e = new NncError('ERR_NNC_CORRUPT', 'x');
  // @ts-expect-error: an option nnc does not know (a node:zlib habit)
  await compress('x', { windowBits: 15 });
  await compress('x', { level: 9, laneSize: 1 << 20 });
  const level: number = nnc.inspect(packed).frames[0].level ?? nnc.DEFAULT_LEVEL;
  void level;
  return packed.length + back.byteLength + e.code.length + nnc.loadModel(nnc.defaultModelPath()).id.length;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'Node16',
    moduleResolution: 'Node16',
    strict: true,
    noEmit: true,
    types: [],
    skipLibCheck: false,
  },
  files: ['consumer.ts'],
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-types-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'nnc-native'), 'dir');
  fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function tsc(bin: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const TS7 = path.join(ROOT, 'node_modules', 'typescript7', 'bin', 'tsc');

describe('type declarations', () => {
  it('dist/index.d.ts loads Node\'s types itself', () => {
    expect(fs.readFileSync(path.join(ROOT, 'dist', 'index.d.ts'), 'utf8')).toMatch(/^\/\/\/ <reference types="node"/);
  });

  it('compile for a consumer with "types": [] under TypeScript 5', () => {
    const bin = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).stdout;
    expect(version).toMatch(/Version 5\./);
    const r = tsc(bin);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  }, 130_000);

  it.runIf(fs.existsSync(TS7))('compile for a consumer with "types": [] under TypeScript 7', () => {
    const r = tsc(TS7);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  }, 130_000);
});
