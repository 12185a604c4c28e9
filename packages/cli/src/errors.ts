import { ExitCode, type ExitCodeValue, exitCodeFor } from '@p2p/root-server';

// The table from error codes to exit codes is shared with `p2p-root` (see `exitCodeFor`).
export { ExitCode, type ExitCodeValue, exitCodeFor };

/** What a {@link CliError} is: bad usage (exit code 2) or a failure at run time (exit code 1). */
export type CliErrorCode = 'ERR_USAGE' | 'ERR_FAILED';

/** An error the command reports in one line; its exit code comes from `exitCodeFor`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  /** `exitCode` says which kind it is: {@link ExitCode.Usage} for bad usage, else a failure. */
  constructor(
    message: string,
    exitCode: ExitCodeValue = ExitCode.Failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = exitCode === ExitCode.Usage ? 'ERR_USAGE' : 'ERR_FAILED';
  }

  get exitCode(): ExitCodeValue {
    return exitCodeFor(this);
  }
}

/** Bad usage: a wrong flag value or argument (exit code 2). */
export const usageError = (message: string): CliError => new CliError(message, ExitCode.Usage);

/**
 * What `cause` means for the command: bad usage (a bad argument: an address that is not HOST:PORT,
 * a peer nobody could reach…) is reported in the cause's own words, which name what to change;
 * a failure at run time as `what: cause's message`.
 */
export function failure(what: string, cause: unknown): CliError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return exitCodeFor(cause) === ExitCode.Usage
    ? new CliError(message, ExitCode.Usage, { cause })
    : new CliError(`${what}: ${message}`, ExitCode.Failure, { cause });
}
