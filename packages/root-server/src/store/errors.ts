/**
 * Every code a {@link RootStoreError} can carry. The codes are stable: tools match on them.
 *
 * | code | meaning | what to do |
 * | --- | --- | --- |
 * | `ERR_STORE_OPEN` | the file or its folder cannot be created or opened | fix the path or its permissions |
 * | `ERR_STORE_CORRUPT` | the file is not a SQLite database, is damaged, or belongs to another program | move it away or choose another path |
 * | `ERR_STORE_READONLY` | the database cannot be written | make the file and its folder writable |
 * | `ERR_STORE_LOCKED` | another process holds the database | stop the other root or choose another path |
 * | `ERR_STORE_VERSION` | the file was written by a newer version of this package | upgrade, or choose another path |
 * | `ERR_STORE_CLOSED` | the store was used after `close()` | a bug in the caller |
 * | `ERR_STORE_IO` | any other failure to read or write (disk full, I/O error) | see the cause |
 * | `ERR_STORE_UNREACHABLE` | the PostgreSQL server cannot be reached or does not answer | start it, or fix the host and port |
 * | `ERR_STORE_AUTH` | the PostgreSQL server refused the credentials | fix the user and password in the URL |
 * | `ERR_STORE_FENCED` | another root leads the PostgreSQL database now (a newer term) | none: this root must stop leading |
 */
export const ROOT_STORE_ERROR_CODES = [
  'ERR_STORE_OPEN',
  'ERR_STORE_CORRUPT',
  'ERR_STORE_READONLY',
  'ERR_STORE_LOCKED',
  'ERR_STORE_VERSION',
  'ERR_STORE_CLOSED',
  'ERR_STORE_IO',
  'ERR_STORE_UNREACHABLE',
  'ERR_STORE_AUTH',
  'ERR_STORE_FENCED',
] as const;
export type RootStoreErrorCode = (typeof ROOT_STORE_ERROR_CODES)[number];

/** The only error a store throws. `cause` holds the underlying error, when there is one. */
export class RootStoreError extends Error {
  override readonly name = 'RootStoreError';
  readonly code: RootStoreErrorCode;
  /** The store's path (`':memory:'` for memory stores; a PostgreSQL URL without its password). */
  readonly path: string;

  constructor(
    code: RootStoreErrorCode,
    path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/** The error every store method but `close` throws after `close`. */
export function storeClosedError(path: string): RootStoreError {
  return new RootStoreError('ERR_STORE_CLOSED', path, `the root database ${path} is closed`);
}
