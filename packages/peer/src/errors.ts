export type PeerErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_NOT_REGISTERED'
  | 'ERR_ROOT_UNREACHABLE'
  | 'ERR_NO_ANSWER'
  | 'ERR_CLOSED'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_JOIN_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_NO_ADVERTISE_ADDRESS';

/** Errors of @p2p/peer, with a stable `code`. */
export class PeerError extends Error {
  override readonly name = 'PeerError';
  readonly code: PeerErrorCode;

  constructor(code: PeerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
