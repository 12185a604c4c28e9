#!/usr/bin/env node
import { createLogger, resolveLogFormat } from '@p2p/stream';
import { Command, CommanderError } from 'commander';
import { isStoreError } from './errors.js';
import { ExitCode, exitCodeFor } from './service/exit-codes.js';
import { rootServerOptionsFrom } from './service/flags-to-options.js';
import { addRootServiceOptions, type RootServiceFlags } from './service/options.js';
import { runRootService } from './service/run.js';

const program = addRootServiceOptions(
  new Command('p2p-root')
    .description('The root of the p2p tree network: registry, placement, liveness and admin HTTP.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride(),
).addHelpText(
  'after',
  `
Every flag can also be set by the environment variable shown. Logs go to standard error: readable
lines on a terminal, JSON lines otherwise (--log-format). SIGINT or SIGTERM stops the root
gracefully (exit code 0). Exit codes: 0 stopped, 1 failed at run time, 2 bad usage.

Examples:
  p2p-root
  p2p-root --listen 0.0.0.0:5353 --http 0.0.0.0:8080 --db /var/lib/p2p/root.db
  p2p-root --listen 0.0.0.0:5353 --advertise 203.0.113.5:5353   # behind NAT: peers dial 203.0.113.5:5353
  P2P_TIMINGS=fast P2P_DB=:memory: p2p-root`,
);

try {
  program.parse();
} catch (error) {
  // commander has printed what was wrong.
  process.exit(error instanceof CommanderError ? exitCodeFor(error) : ExitCode.Usage);
}

const flags = program.opts<RootServiceFlags>();
const logger = createLogger(flags.logLevel, 'p2p-root', flags.logFormat);
let exitCode: number = ExitCode.Ok;
try {
  await runRootService({ ...rootServerOptionsFrom(flags), logger });
} catch (error) {
  const { message } = error as Error;
  const code = (error as { code?: string }).code;
  logger.fatal(
    { code, err: message },
    isStoreError(error) ? 'cannot open the store' : 'root failed',
  );
  // JSON logs are for programs; a person reading the terminal or the journal gets one plain line.
  if (resolveLogFormat(flags.logFormat, process.stderr.isTTY === true) === 'json')
    process.stderr.write(`p2p-root: ${message}\n`);
  exitCode = exitCodeFor(error);
}
// Exit at once, once the output is flushed, rather than by tearing the event loop down: a Ctrl-C
// that a runner (pnpm) forwards late would otherwise find the signal handlers already removed and
// end the process by signal, which the runner reports as "ELIFECYCLE Command failed".
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) => new Promise<void>((resolve) => stream.write('', () => resolve())),
  ),
);
process.exit(exitCode);
