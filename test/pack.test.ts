/**
 * Runs scripts/pack-test.sh: npm pack of a copy of the tree (the prepack
 * script refuses a stray README.md.nnc, then prebuildify builds the prebuilt
 * binary) → install the tarball into an empty project with no compiler on
 * PATH → the library on the cpu engine, loaded from prebuilds/, and the
 * `nnc` command from there. It needs the npm registry and about 30 s (a full
 * native build), so it runs only with NNC_PACK_TEST=1 (.ci/run runs the
 * script once after the suite).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const enabled = process.env.NNC_PACK_TEST === '1';

it.skipIf(!enabled)(
  'the packed tarball installs without a compiler (prebuilt binary) and works: library on the cpu engine, nnc command [set NNC_PACK_TEST=1 to run: needs network, ~30 s]',
  () => {
    const script = path.resolve(__dirname, '..', 'scripts', 'pack-test.sh');
    const r = spawnSync('bash', [script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) console.error(r.stdout, r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/npm pack refuses a stray README\.md\.nnc\n+ok: refused/);
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(r.stdout).toMatch(/prebuilt: prebuilds\/linux-x64\/[^\n]*\.node/);
      expect(r.stdout).toMatch(/cpu engine: available; selected cpu; addon [^\n]*\/prebuilds\/linux-x64\//);
    }
    expect(r.stdout).toMatch(/pack test passed/);
  },
  600_000,
);
