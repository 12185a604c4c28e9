/** Exit codes of the `p2p` command (design.md): 0 success, 1 runtime failure, 2 bad usage. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the command reports in one line and turns into an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCodeValue;

  constructor(message: string, exitCode: ExitCodeValue = ExitCode.Failure) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Bad usage: a wrong flag value or argument (exit code 2). */
export const usageError = (message: string): CliError => new CliError(message, ExitCode.Usage);
