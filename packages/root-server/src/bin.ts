#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { createLogger } from './service/logger.js';
import {
  addRootServiceOptions,
  type RootServiceFlags,
  rootServerOptionsFrom,
} from './service/options.js';
import { runRootService } from './service/run.js';
import { RootStoreError } from './store/errors.js';

const program = addRootServiceOptions(
  new Command('p2p-root')
    .description('The root of the p2p tree network: registry, placement, liveness and admin HTTP.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride(),
).addHelpText(
  'after',
  `
Every flag can also be set by the environment variable shown. Logs are JSON lines on standard
error; SIGINT or SIGTERM stops the root gracefully.

Examples:
  p2p-root
  p2p-root --listen 0.0.0.0:5353 --http 0.0.0.0:8080 --db /var/lib/p2p/root.db
  P2P_TIMINGS=fast P2P_DB=:memory: p2p-root`,
);

try {
  program.parse();
} catch (error) {
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
}

const flags = program.opts<RootServiceFlags>();
const logger = createLogger(flags.logLevel, 'p2p-root');
try {
  await runRootService({ ...rootServerOptionsFrom(flags), logger });
  process.exitCode = 0;
} catch (error) {
  const code = (error as { code?: string }).code;
  logger.fatal(
    { code, err: (error as Error).message },
    error instanceof RootStoreError ? 'cannot open the store' : 'root failed',
  );
  process.stderr.write(`p2p-root: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
