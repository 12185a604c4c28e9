/**
 * Every code a {@link StreamError} can carry. The codes are stable: callers match on them.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_REFUSED` | the remote's server refused the connection (nothing listens there) |
 * | `ERR_RESET` | the connection was reset (or broke with another socket error) |
 * | `ERR_CLOSED` | the remote closed the connection, or this node disconnected it |
 * | `ERR_ACK_TIMEOUT` | a packet written to the remote was not acknowledged in time |
 * | `ERR_CONNECT_TIMEOUT` | the connection could not be opened in time |
 * | `ERR_QUEUE_FULL` | too many packets are waiting or in flight toward that remote |
 * | `ERR_NODE_CLOSED` | this node was closed before the send could complete |
 * | `ERR_LISTEN` | the node's server could not listen on its address |
 * | `ERR_INVALID_ARGUMENT` | bad input: an address, an option or a packet |
 * | `ERR_PROTOCOL` | the remote wrote something other than `ACK` |
 */
export type StreamErrorCode =
  | 'ERR_REFUSED'
  | 'ERR_RESET'
  | 'ERR_CLOSED'
  | 'ERR_ACK_TIMEOUT'
  | 'ERR_CONNECT_TIMEOUT'
  | 'ERR_QUEUE_FULL'
  | 'ERR_NODE_CLOSED'
  | 'ERR_LISTEN'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_PROTOCOL';

export interface StreamErrorOptions {
  /** The remote node concerned, as `'HOST:PORT'`. */
  remote?: string | undefined;
  /** The underlying error (a socket error, a CodecError…). */
  cause?: unknown;
}

/** The only error @p2p/stream rejects or throws with. */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  readonly code: StreamErrorCode;
  /** The remote node concerned, as `'HOST:PORT'`, when there is one. */
  readonly remote: string | undefined;

  constructor(code: StreamErrorCode, message: string, options: StreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options.remote;
  }
}
