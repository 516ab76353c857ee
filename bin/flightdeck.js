#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step), so a fresh clone works right after `npm ci`.
require('tsx/cjs');
require('../src/cli/main.ts')
  .main(process.argv)
  .then((code) => process.exit(code));
