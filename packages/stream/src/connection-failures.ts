import { StreamError } from './errors.js';

/** What a socket error on the outgoing connection to `key` means for the sends pending on it. */
export function socketFailure(
  error: NodeJS.ErrnoException,
  connecting: boolean,
  key: string,
): StreamError {
  const detail = error.code ?? error.message;
  const failure = (
    code: 'ERR_STREAM_REFUSED' | 'ERR_STREAM_RESET' | 'ERR_STREAM_CONNECT_TIMEOUT',
    message: string,
  ) => new StreamError(code, message, { remote: key, cause: error });
  switch (error.code) {
    case 'ECONNREFUSED':
      return failure('ERR_STREAM_REFUSED', `${key} refused the connection: nothing listens there`);
    case 'ECONNRESET':
    case 'EPIPE':
      return failure('ERR_STREAM_RESET', `the connection to ${key} was reset (${detail})`);
    case 'ETIMEDOUT':
      if (connecting)
        return failure('ERR_STREAM_CONNECT_TIMEOUT', `connecting to ${key} timed out`);
      break;
  }
  return connecting
    ? failure('ERR_STREAM_REFUSED', `could not connect to ${key} (${detail})`)
    : failure('ERR_STREAM_RESET', `the connection to ${key} broke (${detail})`);
}

/** The remote `key` wrote `chunk[offset]` where only `ACK` may come back. */
export function notAnAck(chunk: Uint8Array, offset: number, key: string): StreamError {
  const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString(
    'latin1',
    offset,
    offset + 12,
  );
  // A node pointed at a web server (say the root's admin HTTP port) gets "HTTP/1.1 400 …".
  const message = text.startsWith('HTTP/')
    ? `${key} answered like an HTTP server ("${text}…"), not a node of this network: is it an admin HTTP port rather than the TCP port of a node or root?`
    : `${key} wrote byte 0x${(chunk[offset] ?? 0).toString(16).padStart(2, '0')} where only "ACK" may come back`;
  return new StreamError('ERR_STREAM_PROTOCOL', message, { remote: key });
}
