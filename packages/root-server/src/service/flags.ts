/**
 * The `./flags` export: the root service's flags and the exit-code table, without the server.
 * `p2p` builds its `root` command and maps errors to exit codes from here, so that its other
 * commands and `--help` load neither the root server nor its native modules (SQLite, PostgreSQL,
 * Prometheus).
 */
export {
  type ErrorCodePackage,
  EXIT_CODES,
  ExitCode,
  type ExitCodeValue,
  exitCodeFor,
  type PackageErrorCode,
} from './exit-codes.js';
export {
  addRootServiceOptions,
  type RootServiceFlags,
  type SourceIpCheck,
  sourceIpCheckOption,
  verifySourceIpFrom,
} from './options.js';
export { MAX_TIMER_MS, type WholeNumberRange, wholeNumber } from './whole-number.js';
