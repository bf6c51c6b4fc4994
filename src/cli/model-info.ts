/** `nnc model info [FILE]`: what a model file holds, without running it; `nnc model list` is model-list.ts. */
import { defaultModelPath, loadModel } from '../index.js';
import type { CliIo } from './context.js';
import { modelListCommand } from './model-list.js';
import { describeError } from './text.js';

export const MODEL_USAGE = `Usage: nnc model info [MODEL.nncm]
       nnc model list [-v] [--model-path DIRS]

info: print a model's ID, architecture, parameter count and metadata.
Without a file, describes the bundled default model (models/default.nncm).
list: the bundled models and those in the model search path, which -m auto
chooses among (nnc model list --help).
`;

export function modelCommand(args: readonly string[], io: CliIo): number {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    (sub === undefined ? io.stderr : io.stdout).write(MODEL_USAGE);
    return sub === undefined ? 1 : 0;
  }
  if (sub === 'list') return modelListCommand(rest, io);
  if (sub !== 'info') {
    io.stderr.write(`nnc: unknown model command ${JSON.stringify(sub)}\n${MODEL_USAGE}`);
    return 1;
  }
  const files = rest.filter((a) => a !== '--');
  if (files.some((a) => a === '-h' || a === '--help')) {
    io.stdout.write(MODEL_USAGE);
    return 0;
  }
  if (files.length === 0) files.push(defaultModelPath());
  let status = 0;
  files.forEach((file, i) => {
    try {
      const m = loadModel(file);
      // The API brief names the embedding width `E`; accept `embedding` too.
      const info = m.info as unknown as { k: number; E?: number; embedding?: number; hidden: number[]; alphabetSize: number; parameters: number };
      const { k, hidden, alphabetSize, parameters } = info;
      const E = info.E ?? info.embedding;
      const lines = [
        `file: ${file}`,
        `id: ${m.id}`,
        'architecture:',
        `  context (k): ${k} bytes`,
        `  embedding (E): ${E}`,
        `  hidden: ${hidden.join(', ')}`,
        `  alphabet: ${alphabetSize} symbols (${alphabetSize - 1} byte values + escape)`,
        `parameters: ${parameters}`,
        `size: ${m.bytes.length} bytes`,
        `metadata: ${JSON.stringify(m.metadata ?? {}, null, 2)}`,
      ];
      io.stdout.write((i > 0 ? '\n' : '') + lines.join('\n') + '\n');
    } catch (e) {
      io.stderr.write(`nnc: ${file}: ${describeError(e)}\n`);
      status = 1;
    }
  });
  return status;
}
