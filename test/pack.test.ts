/**
 * Runs scripts/pack-test.sh: npm pack → install the tarball in an empty
 * project → use the library and the `nnc` command from there. It needs the
 * npm registry and a minute or more, so it runs only with NNC_PACK_TEST=1.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const enabled = process.env.NNC_PACK_TEST === '1';

it.skipIf(!enabled)(
  'the packed tarball installs and works (library and nnc command) [set NNC_PACK_TEST=1 to run: needs network, ~1 min]',
  () => {
    const script = path.resolve(__dirname, '..', 'scripts', 'pack-test.sh');
    const r = spawnSync('bash', [script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) console.error(r.stdout, r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/pack test passed/);
  },
  600_000,
);
