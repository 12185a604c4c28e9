export type PeerErrorCode =
  | 'ERR_PEER_INVALID_OPTIONS'
  | 'ERR_PEER_NOT_REGISTERED'
  | 'ERR_PEER_ROOT_UNREACHABLE'
  | 'ERR_PEER_NO_ANSWER'
  | 'ERR_PEER_CLOSED'
  | 'ERR_PEER_MESSAGE_TOO_LARGE'
  | 'ERR_PEER_HOLD_FULL'
  | 'ERR_PEER_JOIN_TIMEOUT'
  | 'ERR_PEER_ABORTED'
  | 'ERR_PEER_NO_ADVERTISE_ADDRESS';

/** Errors of @p2p/peer, with a stable `code`. */
export class PeerError extends Error {
  override readonly name = 'PeerError';
  readonly code: PeerErrorCode;

  constructor(code: PeerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
