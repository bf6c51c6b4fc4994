/**
 * Command-line parsing for every `nnc` command (nnc itself here; nnc train,
 * prune and eval give their own table to parseOptions), gzip/zstd style:
 * options and file names may be mixed, short flags combine (`-dc`, `-kf`), a
 * short option's value may be attached or separate (`-T4`, `-T 4`), long
 * options take `--x=v` or `--x v`, and `--` ends the options. Levels are
 * digits, one flag each as in gzip (`-9`, `-9c`; in `-19` the last wins). Written by hand
 * because node:util parseArgs does not accept `-T4` for a value option
 * combined after flags (`-dT4`).
 */

import { delimiter } from 'node:path';
import { engineChoices, isEngineName } from '../engine/registry.js';
import { MAX_LEVEL, MIN_LEVEL } from '../format/mix-params.js';
import type { EngineChoice } from '../engine/select.js';

export type Mode = 'compress' | 'decompress' | 'test' | 'list';
export type Engine = EngineChoice;

export interface CliOptions {
  mode: Mode;
  /** `--rm`: delete the input after the output was written and verified. */
  rm: boolean;
  stdout: boolean;
  output?: string;
  force: boolean;
  model?: string;
  /** `--model-path DIRS`: directories searched for an archive's model by ID (before NNC_MODEL_PATH). */
  modelPath?: string;
  threads?: number;
  engine?: Engine;
  /** -1 … -9, --fast, --best, --level N: the compression level (the library's default when absent). */
  level?: number;
  laneSize?: number;
  frameSize?: number;
  /** 0 = quiet (no warnings), 1 = normal, 2+ = verbose. */
  verbosity: number;
  help: boolean;
  version: boolean;
  files: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command's table. */
export interface OptionSpec<O> {
  /** Absent for a short-only option (the level digits). */
  long?: string;
  short?: string;
  /** Present when the option takes a value; `name` is how it was written (`-T`, `--threads`), for messages. */
  value?: (o: O, value: string, name: string) => void;
  flag?: (o: O) => void;
}

/** --engine, for every command that runs an engine: a registered name or auto. */
export const engineOption = <O extends { engine?: Engine }>(): OptionSpec<O> => ({
  long: 'engine',
  value: (o, v, n) => {
    if (v !== 'auto' && !isEngineName(v)) {
      throw new UsageError(`${n} expects ${engineChoices('')}, not ${JSON.stringify(v)}`);
    }
    o.engine = v;
  },
});

const SPECS: OptionSpec<CliOptions>[] = [
  { long: 'decompress', short: 'd', flag: (o) => (o.mode = 'decompress') },
  { long: 'uncompress', flag: (o) => (o.mode = 'decompress') },
  { long: 'compress', short: 'z', flag: (o) => (o.mode = 'compress') },
  { long: 'test', short: 't', flag: (o) => (o.mode = 'test') },
  { long: 'list', short: 'l', flag: (o) => (o.mode = 'list') },
  { long: 'keep', short: 'k', flag: (o) => (o.rm = false) },
  { long: 'rm', flag: (o) => (o.rm = true) },
  { long: 'stdout', short: 'c', flag: (o) => (o.stdout = true) },
  { long: 'to-stdout', flag: (o) => (o.stdout = true) },
  { long: 'force', short: 'f', flag: (o) => (o.force = true) },
  { long: 'verbose', short: 'v', flag: (o) => (o.verbosity = Math.max(o.verbosity, 1) + 1) },
  { long: 'quiet', short: 'q', flag: (o) => (o.verbosity = 0) },
  { long: 'help', short: 'h', flag: (o) => (o.help = true) },
  { long: 'version', short: 'V', flag: (o) => (o.version = true) },
  { long: 'output', short: 'o', value: (o, v) => (o.output = v) },
  { long: 'model', short: 'm', value: (o, v) => (o.model = v) },
  { long: 'model-path', value: (o, v) => (o.modelPath = o.modelPath === undefined ? v : `${o.modelPath}${delimiter}${v}`) },
  { long: 'threads', short: 'T', value: (o, v, n) => (o.threads = parseCount(v, n, 0)) },
  engineOption(),
  { long: 'lane-size', value: (o, v, n) => (o.laneSize = parseSize(v, n)) },
  { long: 'frame-size', value: (o, v, n) => (o.frameSize = parseSize(v, n)) },
  { long: 'level', value: (o, v, n) => (o.level = parseLevel(v, n)) },
  { long: 'fast', flag: (o) => (o.level = MIN_LEVEL) },
  { long: 'best', flag: (o) => (o.level = MAX_LEVEL) },
  ...Array.from({ length: MAX_LEVEL }, (_, i): OptionSpec<CliOptions> => ({ short: String(i + 1), flag: (o) => (o.level = i + 1) })),
];

function parseLevel(v: string, name: string): number {
  if (!/^\d+$/.test(v) || Number(v) < MIN_LEVEL || Number(v) > MAX_LEVEL) {
    throw new UsageError(`${name} expects a level from ${MIN_LEVEL} to ${MAX_LEVEL} (nnc --help lists them), not ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** An integer ≥ min, decimal. `-T 0` means "one per CPU", like zstd. */
function parseCount(v: string, name: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`${name} expects an integer ≥ ${min}, not ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** A size in bytes, with an optional K/M suffix (binary: 64K = 65536). */
export function parseSize(v: string, name: string): number {
  const m = /^(\d+)(?:([KkMm])(?:i?B)?)?$/.exec(v);
  const n = m ? Number(m[1]) * (m[2] ? (m[2].toUpperCase() === 'K' ? 1024 : 1024 * 1024) : 1) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${name} expects a positive size in bytes (e.g. 65536, 64K, 4M), not ${JSON.stringify(v)}`);
  }
  return n;
}

export function defaultOptions(): CliOptions {
  return { mode: 'compress', rm: false, stdout: false, force: false, verbosity: 1, help: false, version: false, files: [] };
}

/** Parse nnc's arguments (without the node and script paths). Throws UsageError. */
export function parseArgs(args: readonly string[], into: CliOptions = defaultOptions()): CliOptions {
  return parseOptions(args, SPECS, into, (o, file) => o.files.push(file));
}

/**
 * Parse `args` by a command's option table into `o`; each operand (file name,
 * "-" for stdin, everything after `--`) goes to `operand`. Throws UsageError;
 * `unknown` words the message for an option not in the table.
 */
export function parseOptions<O>(
  args: readonly string[],
  specs: readonly OptionSpec<O>[],
  o: O,
  operand: (o: O, arg: string) => void,
  unknown: (name: string) => string = (name) => `unknown option ${name}`,
): O {
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const byLong = new Map(specs.filter((s) => s.long).map((s) => [s.long!, s]));
  let i = 0;
  const next = (name: string): string => {
    if (i >= args.length) throw new UsageError(`option ${name} requires a value`);
    return args[i++];
  };
  while (i < args.length) {
    const a = args[i++];
    if (a === '--') {
      for (const rest of args.slice(i)) operand(o, rest);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(unknown(`--${name}`));
      if (spec.value) {
        spec.value(o, eq < 0 ? next(`--${name}`) : a.slice(eq + 1), `--${name}`);
      } else {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        spec.flag!(o);
      }
      continue;
    }
    if (a.length > 1 && a.startsWith('-')) {
      // A cluster of short flags; a value option takes the rest of the cluster or the next argument.
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const spec = byShort.get(c);
        if (!spec) throw new UsageError(unknown(`-${c}`));
        if (spec.value) {
          const rest = a.slice(j + 1);
          spec.value(o, rest.length > 0 ? rest : next(`-${c}`), `-${c}`);
          break;
        }
        spec.flag!(o);
      }
      continue;
    }
    operand(o, a); // includes "-" (stdin)
  }
  return o;
}
