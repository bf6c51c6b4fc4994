#!/usr/bin/env node
'use strict';
// Thin shim: the CLI lives in src/cli/nnc.ts (compiled to dist/cli/nnc.js).
const { main } = require('../dist/cli/nnc.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`nnc: internal error: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  },
);
