/**
 * NNC_ENGINE and NNC_SIMD are strict: a value that cannot be honoured is
 * ERR_NNC_INVALID_ARG naming the variable, the value and what is accepted,
 * from the API and from the CLI (exit 1), never a silent fallback to the ts
 * engine; engineInfo() still reports, with the reason. Each case runs in a
 * child process (the variables are read once per process) on dist/, built
 * by `npm test`'s pretest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuFeatures } from '../src/engine/cpu.js';
import { engineInfo } from '../src/index.js';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'nnc.js');
const dir = mkdtempSync(join(tmpdir(), 'nnc-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cpu = engineInfo().engines.find((e) => e.name === 'cpu')!;
const needsCpu = cpu.available ? '' : ` (skipped: the cpu engine is unavailable: ${cpu.reason})`;
const feats = cpuFeatures();
/** A SIMD level this machine lacks, if any (NNC_SIMD asking for it is an error). */
const missing = feats ? (['avx512', 'avx2'] as const).find((l) => !feats[l]) : undefined;

interface Outcome {
  info: { selected: string; error?: string; cpuReason?: string };
  async: { code?: string; message?: string; ok?: boolean };
  sync: { code?: string; message?: string; ok?: boolean };
  ts: boolean;
}

/** The API in a child with `env` set: compress() and compressSync() with no engine option, then engine 'ts'. */
function api(env: Record<string, string>): Outcome {
  const script = `
    const n = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
    const info = n.engineInfo();
    const cpu = info.engines.find((e) => e.name === 'cpu');
    const sync = (() => { try { n.compressSync('hello'); return { ok: true }; } catch (e) { return { code: e.code, message: e.message }; } })();
    const ts = n.decompressSync(n.compressSync('hello', { engine: 'ts' }), { engine: 'ts' }).toString() === 'hello';
    n.compress('hello').then(() => ({ ok: true }), (e) => ({ code: e.code, message: e.message })).then((async) => {
      console.log(JSON.stringify({ info: { selected: info.selected, error: info.error, cpuReason: cpu.reason }, async, sync, ts }));
    });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Outcome;
}

/** `nnc -c FILE` with `env` set. */
function cli(env: Record<string, string>, name: string): { status: number | null; stderr: string; wrote: boolean } {
  const file = join(dir, name);
  writeFileSync(file, 'hello hello hello\n');
  const r = spawnSync(process.execPath, [BIN, '-c', file], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, wrote: existsSync(`${file}.nnc`) || r.stdout.length > 0 };
}

function expectInvalid(o: Outcome, variable: string, value: string, accepted: string[]): void {
  for (const e of [o.async, o.sync]) {
    expect(e.code).toBe('ERR_NNC_INVALID_ARG');
    expect(e.message).toContain(variable);
    expect(e.message).toContain(`"${value}"`);
    for (const a of accepted) expect(e.message).toContain(`'${a}'`);
  }
  // engineInfo() reports instead of throwing; the ts engine, asked for by name, still works.
  expect(o.info.error).toBe(o.sync.message);
  expect(o.ts).toBe(true);
}

describe('NNC_ENGINE', () => {
  it('an invalid value is ERR_NNC_INVALID_ARG from the API, naming the variable, the value and the accepted values', () => {
    expectInvalid(api({ NNC_ENGINE: 'fast' }), 'NNC_ENGINE', 'fast', ['auto', 'cpu', 'ts', 'cuda']);
  });

  it('an invalid value makes the CLI exit 1 with the error, writing nothing', () => {
    const r = cli({ NNC_ENGINE: 'fast' }, 'engine.txt');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nnc: .*NNC_ENGINE but received "fast" \(ERR_NNC_INVALID_ARG\)$/m);
    expect(r.stderr).not.toContain('warning');
    expect(r.wrote).toBe(false);
  });

  it('valid values and an empty value (= unset) work', () => {
    const ts = api({ NNC_ENGINE: 'ts' });
    expect(ts.info.selected).toBe('ts');
    expect(ts.async.ok && ts.sync.ok).toBe(true);
    const empty = api({ NNC_ENGINE: '' });
    expect(empty.info.selected).toBe(cpu.available ? 'cpu' : 'ts');
    expect(empty.info.error).toBeUndefined();
    expect(empty.async.ok && empty.sync.ok).toBe(true);
  });
});

describe.skipIf(!cpu.available)(`NNC_SIMD${needsCpu}`, () => {
  it('an unknown level is ERR_NNC_INVALID_ARG for training evaluation too (frequencyEngine), not the ts engine', () => {
    const script = `
      const { frequencyEngine } = require(${JSON.stringify(join(ROOT, 'dist', 'engine', 'select.js'))});
      try { process.stdout.write(JSON.stringify({ engine: frequencyEngine().name })); }
      catch (e) { process.stdout.write(JSON.stringify({ code: e.code })); }`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NNC_SIMD: 'bogus' }, encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ code: 'ERR_NNC_INVALID_ARG' });
  });

  it('an unknown level is ERR_NNC_INVALID_ARG from the API, not a fallback to the ts engine', () => {
    const o = api({ NNC_SIMD: 'bogus' });
    expectInvalid(o, 'NNC_SIMD', 'bogus', ['scalar', 'avx2', 'avx512']);
    expect(o.info.cpuReason).toContain('NNC_SIMD');
  });

  it('an unknown level makes the CLI exit 1 with the error, without the ts-fallback warning, writing nothing', () => {
    const r = cli({ NNC_SIMD: 'bogus' }, 'simd.txt');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nnc: .*NNC_SIMD but received "bogus".* \(ERR_NNC_INVALID_ARG\)$/m);
    expect(r.stderr).not.toContain('ts engine');
    expect(r.wrote).toBe(false);
  });

  it.skipIf(!missing)(`a level this CPU lacks is ERR_NNC_INVALID_ARG${missing ? '' : ' (skipped: this CPU has every level)'}`, () => {
    const o = api({ NNC_SIMD: missing! });
    expectInvalid(o, 'NNC_SIMD', missing!, ['scalar']);
    expect(o.sync.message).toContain(`lacks ${missing}`);
    expect(cli({ NNC_SIMD: missing! }, 'missing.txt').status).toBe(1);
  });

  it('every level this CPU has works, and so does an empty value (= unset)', () => {
    const levels = ['scalar', ...(feats!.avx2 ? ['avx2'] : []), ...(feats!.avx512 ? ['avx512'] : []), ''];
    for (const NNC_SIMD of levels) {
      const o = api({ NNC_SIMD });
      expect(o.info.selected).toBe('cpu');
      expect(o.info.error).toBeUndefined();
      expect(o.async.ok && o.sync.ok).toBe(true);
    }
  });
});
