/**
 * `nnc`: the command-line front end, following gzip/zstd conventions.
 *
 *   nnc [compress|decompress] [-d] [-1 … -9] [-k | --rm] [-c] [-o FILE] [-f] [-m MODEL] [-T N] [-v | -q] [FILE...]
 *   nnc model info [MODEL] | nnc model list [-v]
 *
 * `main(args, io)` takes the arguments without the node and script paths and
 * resolves to the exit status (0 ok, 1 error, 2 warning), so tests can run it
 * in-process; bin/nnc.js calls it with process.argv.slice(2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engineInfo, loadModel } from '../index.js';
import { ENGINES } from '../engine/registry.js';
import { defaultOptions, parseArgs, UsageError, type CliOptions } from './args.js';
import { planJob, testArchive, transcode } from './file-job.js';
import { Context, displayName, EXIT_ERROR, EXIT_OK, type CliIo, type LibOptions } from './context.js';
import { describeError } from './text.js';
import { listArchives } from './list.js';
import { modelCommand } from './model-info.js';
import { trainCommand } from './train.js';
import { removeAllTemps } from '../fs/atomic-write.js';
import { installSignalCleanup, leftoverTempHint } from './tempfile.js';

export type { CliIo } from './context.js';

const HELP = `Usage: nnc [OPTION]... [FILE]...
       nnc decompress [OPTION]... [FILE]...
       nnc model info [MODEL]
       nnc model list [-v]               (the models -m auto chooses among)
       nnc train FILE... -o MODEL.nncm   (nnc train --help)
       nnc prune FILE... -o DIR          (nnc prune --help)
       nnc eval [-m MODEL] FILE...

Compress FILEs losslessly with a neural byte predictor (FILE -> FILE.nnc),
or decompress them (-d: FILE.nnc -> FILE). With no FILE, or when FILE is -,
read standard input and write standard output. Inputs are kept unless --rm.

Only regular files are compressed or decompressed to files (as gzip and zstd):
devices, FIFOs and sockets are skipped ("not a regular file -- ignored", exit
status 2) unless read with -c, and nothing is created beside them. A symbolic
link given as FILE is skipped unless -f, which follows it; -c, -t and -l
follow links and read anything readable.

Operation:
  -z, --compress        compress (the default; also: nnc compress ...)
  -d, --decompress      decompress (also: nnc decompress ...)
  -t, --test            decode archives and verify their checksums
  -l, --list            list sizes, ratio, bits per byte, method, level, model
                        and frames (-lv: each frame's level, experts, lanes)

Output:
  -c, --stdout          write to standard output
  -o, --output FILE     write to FILE (one input only)
  -k, --keep            keep input files (the default)
      --rm              remove each input after its output was written and verified,
                        and only if it is still the file that was read (same
                        inode, size and mtime); one that changed meanwhile (e.g.
                        a log appended to) is kept, with a warning (exit 2)
  -f, --force           overwrite existing regular outputs (never a device, FIFO
                        or directory); follow symbolic links; write compressed
                        data to a terminal

Codec:
  -1 ... -9             compression level (default 6; the table below)
      --fast, --best    level 1, level 9
      --level N         level N (1 to 9)
  -m, --model MODEL     model file (.nncm) for every frame, or auto (the
                        default): per frame, the bundled or --model-path model
                        that codes a sample of it best (nnc model list; a
                        file named auto: -m ./auto)
      --model-path DIRS   directories (':'-separated) of .nncm files, before
                        those in NNC_MODEL_PATH: candidates of -m auto, and
                        searched for the model an archive names
  -T, --threads N       worker threads (0: one per CPU)
      --engine E        auto (the first of these that loads) or one by name:
${ENGINES.map((e) => `${' '.repeat(26)}${e.name.padEnd(6)}${e.summary}`).join('\n')}
      --lane-size N     bytes per independently coded lane (e.g. 64K; default
                        64K at level 1, half a frame and at least 1M above)
      --frame-size N    bytes of content per frame (e.g. 4M)

Levels (memory is per lane; each thread codes one lane at a time):
  -1  the network alone (method 1): fastest, 64K lanes
  -2  network + adaptive orders 1, 2, 4, match model, APMs (method 2), ~12 MiB
  -3  orders 2, 4, 6 and words, match model, APMs, ~22 MiB
  -4  -3 + sparse and record contexts (binaries, tables), ~37 MiB
  -5  -4 + order 1 and a second mixer, ~37 MiB
  -6  -5 + two-record contexts: the default, ~42 MiB
  -7  every expert (orders 1 to 8, words, sparse, records), ~62 MiB
  -8  every expert, larger tables, ~129 MiB
  -9  every expert, the largest tables: best ratio, ~250 MiB
Levels 2 to 9 mix the network with contexts learned from the data, in lanes of
at least 1 MiB; higher ones are slower. Decompressing takes the time and memory
of the level the archive was written with (nnc -l shows it).

Messages:
  -v, --verbose         print engine, sizes, ratio and speed per file
  -q, --quiet           no warnings, no progress
  -h, --help            show this help
  -V, --version         show the version

Exit status: 0 ok, 1 error, 2 warning (e.g. a file was skipped or not removed).
Two warnings leave the status at 0, as the work was done (-q silences them):
a file whose output is at least 98% of its size ("did not compress", naming
the model: train one for such data with nnc train), and the ts engine in use
because the native addon did not load (with the reason; about 200x slower).
A file named like .NAME.PID.RANDOM.tmp is nnc's temporary output: one left
behind by a killed run is incomplete, and -t, -d and -l say so.
Errors are printed as "nnc: FILE: message (CODE)".
A file named like a command (compress, decompress, model) can be given as ./NAME.
`;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function defaultIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signals: true };
}

export async function main(args: readonly string[] = process.argv.slice(2), io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { ...defaultIo(), ...io };
  const opts = defaultOptions();
  let rest = [...args];

  switch (rest[0]) {
    case 'model':
      return modelCommand(rest.slice(1), full);
    case 'compress':
      rest = rest.slice(1);
      break;
    case 'decompress':
      opts.mode = 'decompress';
      rest = rest.slice(1);
      break;
    case 'train':
    case 'prune':
    case 'eval':
      return trainCommand(rest[0], rest.slice(1), full);
  }

  try {
    parseArgs(rest, opts);
    checkCombination(opts);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    full.stderr.write(`nnc: ${e.message}\nTry 'nnc --help' for more information.\n`);
    return EXIT_ERROR;
  }
  if (opts.help) {
    full.stdout.write(HELP);
    return EXIT_OK;
  }
  if (opts.version) {
    full.stdout.write(`nnc ${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (opts.files.length === 0) opts.files.push('-');

  const uninstall = full.signals ? installSignalCleanup() : () => {};
  const onStdoutError = (e: Error): void => {
    ctx.stdoutError ??= e;
  };
  const ctx = new Context(full, opts, {});
  full.stdout.on('error', onStdoutError);
  try {
    return await run(ctx);
  } finally {
    full.stdout.off('error', onStdoutError);
    removeAllTemps();
    uninstall();
  }
}

function checkCombination(o: CliOptions): void {
  if (o.output !== undefined && o.stdout) throw new UsageError('-o and -c cannot be used together');
  if (o.output !== undefined && o.files.length > 1) {
    throw new UsageError('-o FILE needs exactly one input (use -c to concatenate several)');
  }
  if (o.output === '-') {
    // `-o -` means standard output.
    o.output = undefined;
    o.stdout = true;
  }
}

async function run(ctx: Context): Promise<number> {
  const { opts, io } = ctx;
  const inputs = opts.files;
  const toStdout = (f: string): boolean => opts.stdout || (f === '-' && opts.output === undefined);

  if (opts.mode === 'list') {
    await listArchives(ctx, inputs);
    return ctx.status;
  }

  // Refuse before touching anything: compressed bytes on a terminal are useless and can upset it.
  if (opts.mode === 'compress' && !opts.force && io.stdout.isTTY && inputs.some(toStdout)) {
    ctx.error(
      undefined,
      'refusing to write compressed data to a terminal; redirect it (nnc -c FILE > FILE.nnc) or use -o FILE (or -f to force)',
    );
    return ctx.status;
  }
  if (opts.mode !== 'compress' && !opts.force && io.stdin.isTTY && inputs.includes('-')) {
    ctx.error(undefined, 'refusing to read compressed data from a terminal; give a FILE or redirect stdin (or -f to force)');
    return ctx.status;
  }
  if (opts.rm && (opts.stdout || opts.mode === 'test')) {
    ctx.warn(undefined, `--rm ignored with ${opts.stdout ? '-c' : '-t'}: inputs are kept`);
    opts.rm = false;
  }

  if (!buildLibOptions(ctx)) return ctx.status;
  warnIfSlowFallback(ctx);
  if (opts.verbosity > 1) {
    ctx.engine = engineName(ctx.lib);
    const model = ctx.lib.model ? `, model ${ctx.lib.model.id}` : opts.mode === 'compress' ? ', model auto (chosen per frame: nnc model list)' : '';
    ctx.info(`engine: ${ctx.engine}${model}`);
  }

  for (const input of inputs) {
    if (ctx.stdoutError) break; // e.g. the reader of our stdout went away: nothing more can be delivered
    try {
      const hint = opts.mode === 'compress' ? undefined : leftoverTempHint(input);
      if (hint) ctx.warn(displayName(input), hint);
      if (opts.mode === 'test') {
        await testArchive(ctx, input);
      } else {
        const job = await planJob(ctx, input);
        if (job) await transcode(ctx, job);
      }
    } catch (e) {
      // Whatever error the pipeline reports (often ABORT_ERR), a closed stdout is the cause.
      if ((ctx.stdoutError as { code?: string } | undefined)?.code === 'EPIPE') {
        ctx.raise(EXIT_ERROR); // the consumer closed the pipe (`nnc -dc x | head`): not worth a message
        break;
      }
      ctx.error(displayName(input), e);
    }
  }
  return ctx.status;
}

/** Load the model once for all files; false when it cannot be (already reported). */
function buildLibOptions(ctx: Context): boolean {
  const o = ctx.opts;
  const lib: LibOptions = ctx.lib;
  if (o.engine !== undefined) lib.engine = o.engine;
  if (o.threads !== undefined && o.threads > 0) lib.threads = o.threads; // -T0: the library's default, one per core
  if (o.level !== undefined) lib.level = o.level;
  if (o.laneSize !== undefined) lib.laneSize = o.laneSize;
  if (o.frameSize !== undefined) lib.frameSize = o.frameSize;
  if (o.modelPath !== undefined) lib.modelPath = o.modelPath;
  if (o.model !== undefined && o.model !== 'auto') {
    try {
      lib.model = loadModel(o.model);
    } catch (e) {
      ctx.error(o.model, e);
      return false;
    }
  }
  return true;
}

/**
 * Once per run: with engine 'auto' and no loadable addon the work silently
 * runs on the ts reference engine, hundreds of times slower; say so and why
 * (engineInfo's reason for the cpu engine). Informational: exit status 0.
 */
function warnIfSlowFallback(ctx: Context): void {
  const choice = ctx.lib.engine ?? process.env.NNC_ENGINE ?? 'auto';
  if (choice !== 'auto') return; // the user asked for an engine: nothing fell back
  let info: ReturnType<typeof engineInfo>;
  try {
    info = engineInfo();
  } catch {
    return; // the codec will report the same problem as an error
  }
  // info.error: the selection itself is an error (NNC_SIMD): the codec reports it.
  if (info.selected !== 'ts' || info.error !== undefined) return;
  const reason = info.engines.find((e) => e.name === 'cpu')?.reason ?? 'no reason given';
  ctx.notice(
    undefined,
    'warning: using the ts engine (the TypeScript reference), about 200 times slower than the cpu engine ' +
      `(tens of kB/s instead of about 4 MB/s): the cpu engine is unavailable: ${reason}`,
  );
}

function engineName(lib: LibOptions): string {
  if (lib.engine && lib.engine !== 'auto') return lib.engine;
  try {
    return engineInfo().selected;
  } catch (e) {
    return `unknown (${describeError(e)})`;
  }
}
