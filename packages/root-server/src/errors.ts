/**
 * Every code a {@link RootError} can carry. The codes are stable: tools match on them. The table
 * with what each means and what to do is in the package README ("Errors").
 */
export const ROOT_ERROR_CODES = [
  // The store (SQLite, PostgreSQL, memory): `path` says which.
  'ERR_ROOT_STORE_OPEN',
  'ERR_ROOT_STORE_CORRUPT',
  'ERR_ROOT_STORE_READONLY',
  'ERR_ROOT_STORE_LOCKED',
  'ERR_ROOT_STORE_VERSION',
  'ERR_ROOT_STORE_CLOSED',
  'ERR_ROOT_STORE_IO',
  'ERR_ROOT_STORE_UNREACHABLE',
  'ERR_ROOT_STORE_AUTH',
  'ERR_ROOT_STORE_FENCED',
  // The admin HTTP server.
  'ERR_ROOT_HTTP_LISTEN',
  // `RootServer.start` options.
  'ERR_ROOT_INVALID_OPTION',
  // The tree graph, called wrongly (a caller's bug).
  'ERR_ROOT_NOT_REGISTERED',
  'ERR_ROOT_IS_ROOT',
  'ERR_ROOT_PLACEMENT_INVARIANT',
] as const;
export type RootErrorCode = (typeof ROOT_ERROR_CODES)[number];

/** The codes of the store's failures: `ERR_ROOT_STORE_*`. */
export type RootStoreErrorCode = Extract<RootErrorCode, `ERR_ROOT_STORE_${string}`>;

const STORE_PREFIX = 'ERR_ROOT_STORE_';

/** Every store code, in the order of {@link ROOT_ERROR_CODES}. */
export const ROOT_STORE_ERROR_CODES: readonly RootStoreErrorCode[] = ROOT_ERROR_CODES.filter(
  (code): code is RootStoreErrorCode => code.startsWith(STORE_PREFIX),
);

/** The only error class of `@p2p/root-server`. `cause` holds the underlying error, when there is one. */
export class RootError extends Error {
  override readonly name = 'RootError';
  readonly code: RootErrorCode;
  /**
   * For store errors, the store's path (`':memory:'` for memory stores; a PostgreSQL URL without
   * its password); undefined otherwise.
   */
  readonly path: string | undefined;

  constructor(
    code: RootErrorCode,
    message: string,
    options: { cause?: unknown; path?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
  }
}

/** A store failure: a {@link RootError} with an `ERR_ROOT_STORE_*` code and the store's path. */
export type RootStoreFailure = RootError & { code: RootStoreErrorCode; path: string };

/** Makes a store failure of `path`. */
export function storeError(
  code: RootStoreErrorCode,
  path: string,
  message: string,
  options: { cause?: unknown } = {},
): RootStoreFailure {
  return new RootError(code, message, { ...options, path }) as RootStoreFailure;
}

/** True for a failure of the store (an `ERR_ROOT_STORE_*` {@link RootError}). */
export function isStoreError(error: unknown): error is RootStoreFailure {
  return error instanceof RootError && error.code.startsWith(STORE_PREFIX);
}

/** The error every store method but `close` throws after `close`. */
export function storeClosedError(path: string): RootStoreFailure {
  return storeError('ERR_ROOT_STORE_CLOSED', path, `the root database ${path} is closed`);
}
