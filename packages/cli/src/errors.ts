import { ExitCode, type ExitCodeValue, exitCodeFor } from '@p2p/root-server/flags';

// The table from error codes to exit codes is shared with `p2p-root` (see `exitCodeFor`).
export { ExitCode, type ExitCodeValue, exitCodeFor };

/**
 * What a {@link CliError} is; its exit code is its row of the shared table (`EXIT_CODES`).
 *
 * | code | exit code | meaning |
 * | --- | --- | --- |
 * | `ERR_CLI_USAGE` | 2 | a wrong argument or flag value, said in words |
 * | `ERR_CLI_FAILED` | 1 | a command failed at run time (its cause says why) |
 * | `ERR_CLI_INPUT` | 1 | `decode`: input it cannot read or a malformed frame |
 * | `ERR_CLI_TIMEOUT` | 1 | the network did not do in time what the command waited for |
 */
export type CliErrorCode = 'ERR_CLI_USAGE' | 'ERR_CLI_FAILED' | 'ERR_CLI_INPUT' | 'ERR_CLI_TIMEOUT';

/** The one error class of the `p2p` command: reported in one line, with the exit code of its code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get exitCode(): ExitCodeValue {
    return exitCodeFor(this);
  }
}

/** Bad usage: a wrong flag value or argument (exit code 2). */
export const usageError = (message: string): CliError => new CliError('ERR_CLI_USAGE', message);

/**
 * What `cause` means for the command: bad usage (a bad argument: an address that is not HOST:PORT,
 * a peer nobody could reach…) is reported in the cause's own words, which name what to change;
 * a failure at run time as `what: cause's message`.
 */
export function failure(what: string, cause: unknown): CliError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return exitCodeFor(cause) === ExitCode.Usage
    ? new CliError('ERR_CLI_USAGE', message, { cause })
    : new CliError('ERR_CLI_FAILED', `${what}: ${message}`, { cause });
}
