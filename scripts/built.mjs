/**
 * Where the scripts find the built TypeScript: the package's modules in
 * dist/ (npm run build:ts), and the test-only models of test/support and the
 * closed-form fitter in build-support/ (npm run build:support; they are not
 * in the package).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const load = (dir, p) => import(join(root, dir, p)).then((m) => m.default ?? m);

/** A module of dist/, e.g. dist('index.js'). */
export const dist = (p) => load('dist', p);

/** A module of build-support/, e.g. support('test/support/random.js'). */
export const support = (p) => load('build-support', p);
