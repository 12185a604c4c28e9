#!/usr/bin/env node
// Committed, so that pnpm can link the command at install time, before dist/ is built.
import { existsSync } from 'node:fs';

const bin = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(bin)) {
  process.stderr.write('p2p: not built yet; run `pnpm run build` in the repository first\n');
  process.exit(1);
}
await import(bin.href);
