#!/usr/bin/env node
/**
 * Peak memory of `nnc -dc` writing into a consumer that stalls (docs/RELIABILITY.md §2):
 * writes an archive of stored 4 MiB frames (random bytes, a tiny random model,
 * so it takes seconds), then runs `nnc -dc ARCHIVE | (sleep S; wc -c)` under
 * /usr/bin/time and prints the CLI's peak RSS and the bytes delivered.
 *
 *   node scripts/stalled-consumer.mjs [--mib 256] [--sleep 20]
 *
 * Needs dist/ and build-support/ (npm run build:ts && npm run build:support).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const mib = arg('mib', 256);
const sleep = arg('sleep', 20);
const nnc = await import(join(root, 'dist', 'index.js'));
const { randomModel } = await import(join(root, 'build-support', 'test', 'support', 'random.js'));
const { serializeModel } = await import(join(root, 'dist', 'format', 'model-file.js'));

const dir = mkdtempSync(join(tmpdir(), 'nnc-stall-'));
const archive = join(dir, 'big.nnc');
const model = nnc.loadModel(serializeModel(randomModel(5, { k: 2, E: 2, hidden: [4, 3], alphabetBytes: 5, expLength: 8 })));
const c = nnc.createCompressStream({ model });
const out = createWriteStream(archive);
c.pipe(out);
for (let i = 0; i < mib / 4; i++) if (!c.write(randomBytes(4 << 20))) await new Promise((r) => c.once('drain', r));
c.end();
await new Promise((r) => out.on('finish', r));

const cmd = `/usr/bin/time -f "%M" node ${JSON.stringify(join(root, 'bin', 'nnc.js'))} -dc ${JSON.stringify(archive)} 2>${JSON.stringify(join(dir, 'rss'))} | (sleep ${sleep}; wc -c)`;
const delivered = Number(execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).trim());
const rssKb = Number(execFileSync('tail', ['-1', join(dir, 'rss')], { encoding: 'utf8' }).trim());
console.log(JSON.stringify({ archiveMiB: mib, stalledSeconds: sleep, peakRssMB: Math.round(rssKb / 1024), delivered, expected: mib * 2 ** 20 }));
rmSync(dir, { recursive: true, force: true });
