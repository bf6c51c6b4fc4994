/**
 * `nnc model list [-v] [--model-path DIRS]`: the models `-m auto` chooses
 * among and decoders find by ID: the bundled ones, then those of the search
 * path (--model-path, NNC_MODEL_PATH), each ID once. Names and descriptions
 * come from each model's metadata (docs/FORMAT.md 1.4).
 */
import { delimiter, dirname } from 'node:path';
import { bundledModelsDir, modelName } from '../model/bundled.js';
import type { Model } from '../model/model.js';
import { modelSearchPath, modelsIn } from '../model/search.js';
import { parseOptions, UsageError } from './args.js';
import type { CliIo } from './context.js';
import { describeError, table } from './text.js';

export const MODEL_LIST_USAGE = `Usage: nnc model list [-v] [--model-path DIRS]

List the models -m auto (the default) chooses among, per frame, and that
decoders find by the ID an archive names: the bundled ones, then those in
--model-path DIRS (':'-separated) and NNC_MODEL_PATH, each model ID once.
Columns: name, ID, file size in bytes, network shape (context k, embedding E,
hidden layer widths, alphabet A), where it lives, description. -v adds each model's
file, parameter count and metadata.
`;

interface ListArgs {
  verbose: boolean;
  help: boolean;
  modelPath?: string;
}

/** The network's shape in one cell without spaces (for awk): k8/E16/h256,128/A97. */
export const shapeOf = (m: Model): string => `k${m.info.k}/E${m.info.embedding}/h${m.info.hidden.join(',')}/A${m.info.alphabetSize}`;

const oneLine = (s: unknown): string => (typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '');

export function modelListCommand(args: readonly string[], io: CliIo): number {
  let a: ListArgs;
  try {
    a = parseOptions<ListArgs>(
      args,
      [
        { long: 'verbose', short: 'v', flag: (o) => (o.verbose = true) },
        { long: 'help', short: 'h', flag: (o) => (o.help = true) },
        { long: 'model-path', value: (o, v) => (o.modelPath = o.modelPath === undefined ? v : `${o.modelPath}${delimiter}${v}`) },
      ],
      { verbose: false, help: false },
      (_o, arg) => {
        throw new UsageError(`nnc model list takes no file operands (${JSON.stringify(arg)}); use --model-path DIRS`);
      },
    );
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`nnc: ${e.message}\n${MODEL_LIST_USAGE}`);
    return 1;
  }
  if (a.help) {
    io.stdout.write(MODEL_LIST_USAGE);
    return 0;
  }
  const bundled = bundledModelsDir();
  let models: Model[];
  try {
    models = modelsIn([bundled, ...modelSearchPath(a.modelPath)]);
  } catch (e) {
    io.stderr.write(`nnc: ${describeError(e)}\n`);
    return 1;
  }
  if (models.length === 0) {
    io.stderr.write(`nnc: no models: no .nncm file in ${bundled} nor in the model search path\n`);
    return 1;
  }
  const rows = [['name', 'id', 'size', 'k/E/hidden/A', 'where', 'description']];
  for (const m of models) {
    const where = m.path && dirname(m.path) === bundled ? 'bundled' : (m.path ?? '-');
    rows.push([modelName(m), m.id, String(m.bytes.length), shapeOf(m), where, oneLine(m.metadata.description)]);
  }
  io.stdout.write(table(rows, [false, false, true, false, false, false]) + '\n');
  if (a.verbose) {
    for (const m of models) {
      io.stdout.write(
        `\n${modelName(m)} (${m.id}):\n  file: ${m.path ?? '-'}\n  parameters: ${m.info.parameters}\n` +
          `  metadata: ${JSON.stringify(m.metadata)}\n`,
      );
    }
  }
  return 0;
}
