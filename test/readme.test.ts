/**
 * The README's examples run as written (issue 10 item 4): every ```js block
 * of README.md is saved as a CommonJS script in a temporary directory where
 * `require('nnc-native')` resolves to this checkout (node_modules/nnc-native
 * is a link to it, so dist/ is what runs, as for a user), then run with
 * node. It must exit 0 with nothing on stderr, and print what its comments
 * promise (a `console.log(...)` line commented `// true` prints true).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const blocks = [...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-readme-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'nnc-native'), 'dir');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What the block's comments say a console.log line prints: `console.log(x); // true` → 'true'. */
function promised(block: string): string[] {
  return [...block.matchAll(/console\.log\(.*\);\s*\/\/ (true|AbortError ABORT_ERR)\b/g)].map((m) => m[1]);
}

describe('README examples', () => {
  it('has JavaScript examples to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(blocks.map((b, i) => [i + 1, b] as const))('example %i runs as written', (i, block) => {
    const file = path.join(dir, `example-${i}.js`);
    fs.writeFileSync(file, block);
    const env = { ...process.env };
    delete env.NNC_MODEL_PATH;
    const r = spawnSync(process.execPath, [file], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    for (const want of promised(block)) expect(lines.some((l) => l.startsWith(want))).toBe(true);
  }, 70_000);
});
