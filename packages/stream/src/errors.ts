/**
 * Every code a {@link StreamError} can carry. The codes are stable: callers match on them.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_STREAM_REFUSED` | the remote's server refused the connection (nothing listens there) |
 * | `ERR_STREAM_RESET` | the connection was reset (or broke with another socket error) |
 * | `ERR_STREAM_CLOSED` | the remote closed the connection, or this node disconnected it |
 * | `ERR_STREAM_ACK_TIMEOUT` | a packet written to the remote was not acknowledged in time |
 * | `ERR_STREAM_CONNECT_TIMEOUT` | the connection could not be opened in time |
 * | `ERR_STREAM_QUEUE_FULL` | too many packets are waiting or in flight toward that remote |
 * | `ERR_STREAM_NODE_CLOSED` | this node was closed before the send could complete |
 * | `ERR_STREAM_LISTEN` | the node's server could not listen on its address |
 * | `ERR_STREAM_INVALID_ARGUMENT` | bad input: an address, an option or a packet |
 * | `ERR_STREAM_PROTOCOL` | the remote wrote something other than `ACK` |
 */
export type StreamErrorCode =
  | 'ERR_STREAM_REFUSED'
  | 'ERR_STREAM_RESET'
  | 'ERR_STREAM_CLOSED'
  | 'ERR_STREAM_ACK_TIMEOUT'
  | 'ERR_STREAM_CONNECT_TIMEOUT'
  | 'ERR_STREAM_QUEUE_FULL'
  | 'ERR_STREAM_NODE_CLOSED'
  | 'ERR_STREAM_LISTEN'
  | 'ERR_STREAM_INVALID_ARGUMENT'
  | 'ERR_STREAM_PROTOCOL';

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
