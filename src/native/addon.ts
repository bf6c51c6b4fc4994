/**
 * The one loader of the native addon (nnc.node): the cpu engine
 * (src/engine/cpu.ts) and the trainer (src/train/) both take it from here.
 *
 * It tries each place a binary can be, in node-gyp-build's order: the
 * local build (build/Release, then build/Debug; skipped when PREBUILDS_ONLY
 * is set, so a test run can prove the shipped binaries load), then
 * prebuilds/<platform>-<arch>/ with node-gyp-build's own tag matching (napi,
 * abi, libc), then prebuilds/ beside the node executable. When none loads,
 * the one-line error says why each failed and what to do, rather than only
 * the last failure: "not built" and "built but fails to load" need
 * different fixes. NNC_NATIVE_PREBUILD, as in node-gyp-build, names another
 * directory to search instead of the package root.
 *
 * Never throws: the result is cached, success or failure, for the process.
 */
import { readdirSync } from 'node:fs';
import { arch as osArch, platform as osPlatform } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** What the binary exports (native/addon/addon.cc, train_binding.cc); each user checks and types its part. */
export type AddonExports = { readonly [name: string]: unknown };

export interface Addon {
  /** The .node file that loaded. */
  readonly path: string;
  readonly exports: AddonExports;
}

/** A place a binary can be: `find` returns the file to load, or throws saying why there is none. */
interface Source {
  readonly label: string;
  find(): string;
}

/** The parts of node-gyp-build's resolver used here (exported by its node-gyp-build.js). */
interface PrebuildMatcher {
  parseTuple(name: string): { name: string } | undefined;
  matchTuple(platform: string, arch: string): (t: unknown) => boolean;
  compareTuples(a: unknown, b: unknown): number;
  parseTags(file: string): { file: string } | undefined;
  matchTags(runtime: string, abi: string): (t: unknown) => boolean;
  compareTags(runtime: string): (a: unknown, b: unknown) => number;
}

const TO_DO =
  'build it with `npm rebuild nnc-native` (needs a C++17 compiler and Python for node-gyp), ' +
  "or use engine 'ts'";

let loaded: { addon?: Addon; error?: string } | undefined;

/** Load the addon once; never throws. `error` names every source tried and why it failed. */
export function loadAddon(): { addon?: Addon; error?: string } {
  if (!loaded) loaded = tryEach(sources(searchRoot()));
  return loaded;
}

function searchRoot(): string {
  return process.env.NNC_NATIVE_PREBUILD || packageRoot();
}

function sources(root: string): Source[] {
  const target = `${process.env.npm_config_platform || osPlatform()}-${process.env.npm_config_arch || osArch()}`;
  return [
    { label: 'build/Release', find: () => localBuild(join(root, 'build', 'Release')) },
    { label: 'build/Debug', find: () => localBuild(join(root, 'build', 'Debug')) },
    { label: `prebuilds/${target}`, find: () => prebuilt(root) },
    { label: 'prebuilds/ beside node', find: () => prebuilt(dirname(process.execPath)) },
  ];
}

function tryEach(list: Source[]): { addon?: Addon; error?: string } {
  const why: string[] = [];
  for (const s of list) {
    try {
      const path = s.find();
      return { addon: { path, exports: requireBinary(path) } };
    } catch (e) {
      why.push(`${s.label}: ${firstLine(e)}`);
    }
  }
  return { error: `the native addon could not be loaded from ${searchRoot()} (${why.join('; ')}); ${TO_DO}` };
}

function requireBinary(path: string): AddonExports {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(path) as AddonExports;
  // Another package's binary in build/ must not pass for ours.
  if (typeof exports?.compressFrame !== 'function') throw new Error(`${path} does not export compressFrame: not nnc's addon`);
  return exports;
}

function localBuild(dir: string): string {
  if (process.env.PREBUILDS_ONLY) throw new Error('skipped (PREBUILDS_ONLY is set)');
  const files = list(dir);
  if (files === undefined) return notThere('not built');
  const node = files.find((f) => f.endsWith('.node'));
  return node ? join(dir, node) : notThere('no .node file in it');
}

/** node-gyp-build's choice among prebuilds/<platform>-<arch>/*.node under `dir`, by the same rules. */
function prebuilt(dir: string): string {
  const tuples = list(join(dir, 'prebuilds'));
  if (tuples === undefined) return notThere(`no prebuilds/ directory in ${dir}`);
  const m = matcher();
  const platform = process.env.npm_config_platform || osPlatform();
  const arch = process.env.npm_config_arch || osArch();
  const runtime = process.versions.electron ? 'electron' : process.versions.nw ? 'node-webkit' : 'node';
  const tuple = tuples.map((t) => m.parseTuple(t)).filter(m.matchTuple(platform, arch)).sort(m.compareTuples)[0];
  if (!tuple) return notThere(`none for ${platform}-${arch} (there: ${tuples.join(', ') || 'nothing'})`);
  const d = join(dir, 'prebuilds', tuple.name);
  const files = list(d) ?? [];
  const winner = files.map((f) => m.parseTags(f)).filter(m.matchTags(runtime, process.versions.modules)).sort(m.compareTags(runtime))[0];
  if (!winner) return notThere(`none of ${files.join(', ') || 'no files'} in prebuilds/${tuple.name} suits ${runtime} abi ${process.versions.modules}`);
  return join(d, winner.file);
}

function matcher(): PrebuildMatcher {
  try {
    // The resolver itself, not its index.js, which may hand over to a platform loader without these.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-gyp-build/node-gyp-build.js') as PrebuildMatcher;
  } catch (e) {
    throw new Error(`node-gyp-build (it picks the prebuilt binary) is missing, reinstall the package: ${firstLine(e)}`);
  }
}

function list(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch {
    return undefined;
  }
}

function notThere(why: string): never {
  throw new Error(why);
}

function firstLine(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0];
}
