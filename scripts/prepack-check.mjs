#!/usr/bin/env node
/**
 * `npm pack` / `npm publish` guard (the prepack script): npm always packs
 * the root's README, LICENSE, LICENCE and COPYING files (any extension), whatever
 * package.json "files" or .npmignore say, so a stray `README.md.nnc` (left
 * by `nnc README.md`) would ship. Refuse to pack until it is gone. Other
 * stray archives, checkpoints and temp files are kept out by the "!" rules
 * in "files".
 */
import { readdirSync } from 'node:fs';

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
