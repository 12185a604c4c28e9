#!/usr/bin/env node
import { run } from './main.js';

const code = await run(process.argv.slice(2));
// Exit at once, once the output is flushed, rather than by tearing the event loop down: a Ctrl-C
// that a runner (pnpm) forwards late would otherwise find the signal handlers already removed
// and end the process by signal, which the runner reports as "ELIFECYCLE Command failed".
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) => new Promise<void>((resolve) => stream.write('', () => resolve())),
  ),
);
process.exit(code);
