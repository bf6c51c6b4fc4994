#!/usr/bin/env node
/**
 * `npm pack` / `npm publish` guard (the prepack script): npm always packs
 * the root's README, LICENSE, LICENCE and COPYING files (any extension), whatever
 * package.json "files" or .npmignore say, so a stray `README.md.nnc` (left
 * by `nnc README.md`) would ship. Refuse to pack until it is gone. Other
 * stray archives, checkpoints and temp files are kept out by the "!" rules
 * in "files".
 *
 * tsc never deletes what it wrote before, so a source moved out of src/ (the
 * closed-form fitter, the test-only random models) would still ship from an
 * old dist/: refuse to pack while dist/ holds output with no source.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const forced = /^(readme|licen[cs]e|copying)(\..*)?$/i;
const junk = /\.(nnc|ckpt|tmp|tgz|orig|bak)$/i;
const stray = readdirSync(process.cwd()).filter((f) => forced.test(f) && junk.test(f));
if (stray.length > 0) {
  console.error(
    `prepack: ${stray.join(', ')}: npm always packs README*/LICENSE*/COPYING* files at the root, ` +
      'so this would ship in the package; remove or move it, then pack again',
  );
  process.exit(1);
}

const stale = existsSync('dist')
  ? readdirSync('dist', { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js') && !existsSync(join('src', f.replace(/\.js$/, '.ts'))))
  : [];
if (stale.length > 0) {
  console.error(
    `prepack: dist/ holds ${stale.map((f) => join('dist', f)).join(', ')}, built from sources no longer in src/; ` +
      'they would ship in the package: rm -rf dist && npm run build:ts, then pack again',
  );
  process.exit(1);
}
