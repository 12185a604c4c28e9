/**
 * Exit codes of the `p2p` and `p2p-root` commands, and the one table that maps errors to them:
 * both commands (and every `p2p` subcommand) exit through {@link exitCodeFor}. It lives here, the
 * lowest package both commands depend on, in a module that loads nothing, so that `p2p-root`
 * needs no `@p2p/cli` and `p2p` reaches it without loading the root server
 * (`@p2p/root-server/flags`).
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The packages whose errors carry a `code`, as the code's prefix names them. */
export type ErrorCodePackage = 'CODEC' | 'STREAM' | 'PEER' | 'ROOT' | 'CLI';
/** An error code of one of the packages: `ERR_<PACKAGE>_<WHAT>`. */
export type PackageErrorCode = `ERR_${ErrorCodePackage}_${string}`;

const { Failure, Usage } = ExitCode;

/**
 * Every error code of the packages and the exit code it ends a command with: 2 when the command
 * line (a flag, an argument, an environment variable) is wrong, 1 when a right command failed at
 * run time. A code not listed (an error without a code, a code of another library) is 1.
 */
export const EXIT_CODES: Readonly<Record<PackageErrorCode, ExitCodeValue>> = Object.freeze({
  // @p2p/codec: ADDRESS is an address that is not HOST:PORT (given on the command line); the
  // others are bytes a command could not decode.
  ERR_CODEC_ADDRESS: Usage,
  ERR_CODEC_TRUNCATED: Failure,
  ERR_CODEC_TRAILING_BYTES: Failure,
  ERR_CODEC_UNKNOWN_FRAMING: Failure,
  ERR_CODEC_VERSION: Failure,
  ERR_CODEC_TYPE: Failure,
  ERR_CODEC_LENGTH: Failure,
  ERR_CODEC_BODY_TOO_LARGE: Failure,
  ERR_CODEC_UTF8: Failure,
  ERR_CODEC_BODY: Failure,
  ERR_CODEC_INVALID_PACKET: Failure,
  // @p2p/stream: INVALID_ARGUMENT is an option out of range.
  ERR_STREAM_INVALID_ARGUMENT: Usage,
  ERR_STREAM_LISTEN: Failure,
  ERR_STREAM_REFUSED: Failure,
  ERR_STREAM_RESET: Failure,
  ERR_STREAM_CLOSED: Failure,
  ERR_STREAM_ACK_TIMEOUT: Failure,
  ERR_STREAM_CONNECT_TIMEOUT: Failure,
  ERR_STREAM_QUEUE_FULL: Failure,
  ERR_STREAM_NODE_CLOSED: Failure,
  ERR_STREAM_PROTOCOL: Failure,
  // @p2p/peer: options that cannot work together; a --listen/--advertise nobody could reach.
  ERR_PEER_INVALID_OPTIONS: Usage,
  ERR_PEER_NO_ADVERTISE_ADDRESS: Usage,
  ERR_PEER_NOT_REGISTERED: Failure,
  ERR_PEER_ROOT_UNREACHABLE: Failure,
  ERR_PEER_NO_ANSWER: Failure,
  ERR_PEER_CLOSED: Failure,
  ERR_PEER_MESSAGE_TOO_LARGE: Failure,
  ERR_PEER_JOIN_TIMEOUT: Failure,
  ERR_PEER_ABORTED: Failure,
  // @p2p/root-server: its store (SQLite or PostgreSQL) and its admin HTTP.
  ERR_ROOT_STORE_OPEN: Failure,
  ERR_ROOT_STORE_CORRUPT: Failure,
  ERR_ROOT_STORE_READONLY: Failure,
  ERR_ROOT_STORE_LOCKED: Failure,
  ERR_ROOT_STORE_VERSION: Failure,
  ERR_ROOT_STORE_CLOSED: Failure,
  ERR_ROOT_STORE_IO: Failure,
  ERR_ROOT_STORE_UNREACHABLE: Failure,
  ERR_ROOT_STORE_AUTH: Failure,
  ERR_ROOT_STORE_FENCED: Failure,
  ERR_ROOT_HTTP_LISTEN: Failure,
  ERR_ROOT_INVALID_OPTION: Usage,
  ERR_ROOT_NOT_REGISTERED: Failure,
  ERR_ROOT_IS_ROOT: Failure,
  ERR_ROOT_PLACEMENT_INVARIANT: Failure,
  // @p2p/cli (CliError)
  ERR_CLI_USAGE: Usage,
  ERR_CLI_FAILED: Failure,
  ERR_CLI_INPUT: Failure,
  ERR_CLI_TIMEOUT: Failure,
});

/**
 * The exit code an error ends a command with: commander's own errors are 0 for the help or
 * version asked for and 2 otherwise; an error with a code, its row of {@link EXIT_CODES}; any
 * other error 1.
 */
export function exitCodeFor(error: unknown): ExitCodeValue {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return Failure;
  if (code.startsWith('commander.'))
    return (error as { exitCode?: unknown }).exitCode === 0 ? ExitCode.Ok : Usage;
  return Object.hasOwn(EXIT_CODES, code)
    ? (EXIT_CODES[code as PackageErrorCode] ?? Failure)
    : Failure;
}
