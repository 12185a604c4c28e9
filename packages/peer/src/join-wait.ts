import type { EventEmitter } from 'node:events';
import type { Clock } from './clock.js';
import { PeerError } from './errors.js';
import type { PeerEvents } from './events.js';

/** Options of `peer.joined()`. */
export interface JoinedOptions {
  /** Give up after this many ms (ERR_JOIN_TIMEOUT). Default 30,000; `Infinity` waits for ever. */
  timeoutMs?: number;
  /** Give up when aborted (ERR_ABORTED, the signal's reason as `cause`). */
  signal?: AbortSignal;
}

export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;

/** What waiting for the tree needs to know about a peer. */
export interface JoinSubject extends EventEmitter<PeerEvents> {
  readonly root: string;
  readonly registered: boolean;
  readonly parent: string | null;
  /** The parent that acknowledged this peer's Join, or null. */
  readonly joinedParent: string | null;
  readonly isClosed: boolean;
}

/**
 * Resolves with the parent once `peer` is registered and its parent has acknowledged its Join (at
 * once if it already has), so that a broadcast reaches the tree. Rejects with a PeerError:
 * ERR_JOIN_TIMEOUT (saying how far the peer got, and the root's last failure), ERR_CLOSED when the
 * peer closes, ERR_ABORTED when the signal aborts.
 */
export function waitUntilJoined(
  peer: JoinSubject,
  clock: Clock,
  options: JoinedOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  if (!(timeoutMs >= 0)) {
    return Promise.reject(
      new PeerError('ERR_INVALID_OPTIONS', `timeoutMs must be a number of ms, got ${timeoutMs}`),
    );
  }
  if (peer.isClosed) return Promise.reject(closedError());
  if (peer.joinedParent !== null) return Promise.resolve(peer.joinedParent);
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortedError(signal));

  return new Promise((resolve, reject) => {
    let lastRootError: string | undefined;
    let answeredFrom: string | undefined;
    const onJoined = ({ parent }: { parent: string }) => settle(() => resolve(parent));
    const onClosed = () => settle(() => reject(closedError()));
    const onAbort = () => settle(() => reject(abortedError(signal as AbortSignal)));
    const onRootUnreachable = ({ error }: { error: string }) => {
      lastRootError = error;
    };
    const onDropped = ({ reason, from }: { reason: string; from: string }) => {
      if (reason === 'not-from-root') answeredFrom = from;
    };
    const timer = Number.isFinite(timeoutMs)
      ? clock.setTimeout(
          () => settle(() => reject(timeoutError(peer, timeoutMs, lastRootError, answeredFrom))),
          timeoutMs,
        )
      : undefined;
    peer.on('joined', onJoined);
    peer.on('closed', onClosed);
    peer.on('root-unreachable', onRootUnreachable);
    peer.on('dropped', onDropped);
    signal?.addEventListener('abort', onAbort, { once: true });
    function settle(finish: () => void): void {
      if (timer !== undefined) clock.clearTimeout(timer);
      peer.off('joined', onJoined);
      peer.off('closed', onClosed);
      peer.off('root-unreachable', onRootUnreachable);
      peer.off('dropped', onDropped);
      signal?.removeEventListener('abort', onAbort);
      finish();
    }
  });
}

function closedError(): PeerError {
  return new PeerError('ERR_CLOSED', 'the peer was closed before it joined the tree');
}

function abortedError(signal: AbortSignal): PeerError {
  return new PeerError('ERR_ABORTED', 'stopped waiting for the peer to join the tree', {
    cause: signal.reason,
  });
}

/** Says how far the peer got, so that the user knows where to look. */
function timeoutError(
  peer: JoinSubject,
  timeoutMs: number,
  lastRootError: string | undefined,
  answeredFrom: string | undefined,
): PeerError {
  let stage: string;
  if (!peer.registered && answeredFrom !== undefined) {
    stage =
      `an answer came from ${answeredFrom}, not from the root address given (${peer.root}); ` +
      'give the address the root names itself by';
  } else if (!peer.registered) {
    stage = lastRootError ?? `the root ${peer.root} has not answered Register`;
  } else if (peer.parent === null) {
    stage = lastRootError ?? `registered, but the root ${peer.root} has not placed the peer yet`;
  } else {
    stage = `the parent ${peer.parent} has not acknowledged the Join`;
  }
  return new PeerError(
    'ERR_JOIN_TIMEOUT',
    `the peer did not join the tree within ${formatMs(timeoutMs)}: ${stage}`,
  );
}

function formatMs(ms: number): string {
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}
