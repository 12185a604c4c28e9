/**
 * Exit codes of the `p2p` and `p2p-root` commands, and the one table that maps errors to them:
 * both commands (and every `p2p` subcommand) exit through {@link exitCodeFor}. It lives here, the
 * lowest package both commands depend on, so that `p2p-root` needs no `@p2p/cli`.
 *
 * | exit code | meaning | errors |
 * | --- | --- | --- |
 * | 0 | success, or `--help` / `--version` | — |
 * | 1 | the command was right but failed at run time: a port in use, a store it cannot open or reach, a root it cannot reach | every other error: every `RootStoreError` (`ERR_STORE_UNREACHABLE`, `ERR_STORE_AUTH`, `ERR_STORE_LOCKED`, `ERR_STORE_FENCED`, `ERR_STORE_READONLY`, …), `ERR_HTTP_LISTEN`, `ERR_LISTEN`, … |
 * | 2 | bad usage: an unknown option, a flag or environment variable with a wrong value | {@link USAGE_ERROR_CODES} |
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Error `code`s that mean the command line (flags, arguments, environment) is wrong. */
export const USAGE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ERR_USAGE', // the commands' own checks of their arguments
  'ERR_ADDRESS', // @p2p/codec: not HOST:PORT
  'ERR_INVALID_ARGUMENT', // @p2p/stream: an option out of range
  'ERR_PEER_INVALID_OPTIONS', // @p2p/peer: options that cannot work together
  'ERR_PEER_NO_ADVERTISE_ADDRESS', // @p2p/peer: a --listen/--advertise nobody could reach
]);

/** The exit code an error ends a command with (see the table of {@link ExitCode}). */
export function exitCodeFor(error: unknown): ExitCodeValue {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return ExitCode.Failure;
  // commander's own errors: exit code 0 for the help or version the user asked for, else usage.
  if (code.startsWith('commander.'))
    return (error as { exitCode?: unknown }).exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  return USAGE_ERROR_CODES.has(code) ? ExitCode.Usage : ExitCode.Failure;
}
