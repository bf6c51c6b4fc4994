import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The directory holding our package.json, from dist/ or src/ alike. */
export function packageRoot(): string {
  if (root) return root;
  let d = __dirname;
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  root = d;
  return d;
}
