import type { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.js';
import { PeerError } from '../errors.js';
import type { PeerEvents } from '../events.js';

/** Options of `peer.joined()`. */
export interface JoinedOptions {
  /**
   * Give up after this many ms (ERR_PEER_JOIN_TIMEOUT). Default 30,000; `Infinity`, or anything above
   * 2,147,483,647 (about 24.8 days, the longest timer Node keeps), waits for ever.
   */
  timeoutMs?: number;
  /** Give up when aborted (ERR_PEER_ABORTED, the signal's reason as `cause`). */
  signal?: AbortSignal;
}

export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;

/** The longest delay a Node timer takes; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** What waiting for the tree needs to know about a peer. */
export interface JoinSubject extends EventEmitter<PeerEvents> {
  readonly root: string;
  readonly roots: readonly string[];
  readonly registered: boolean;
  readonly parent: string | null;
  /** The parent through which a hello was answered since this peer's Join, or null. */
  readonly joinedParent: string | null;
  /** The parent acknowledged the current Join (it may still have refused it). */
  readonly joinAcknowledged: boolean;
  readonly isClosed: boolean;
}

interface Wait {
  resolve(parent: string): void;
  reject(error: PeerError): void;
}

/**
 * The callers of `peer.joined()`, all served by one set of listeners on the peer (however many
 * wait), attached while anybody waits.
 */
export class JoinWaiters {
  readonly #peer: JoinSubject;
  readonly #clock: Clock;
  readonly #waits = new Set<Wait>();
  /** What went wrong while somebody waited, for the timeout's message. */
  #lastRootError: string | undefined;
  #answeredFrom: string | undefined;

  constructor(peer: JoinSubject, clock: Clock) {
    this.#peer = peer;
    this.#clock = clock;
  }

  /**
   * Resolves with the parent once the peer is in the tree (at once if it is). Rejects with a
   * PeerError: ERR_PEER_JOIN_TIMEOUT (saying how far the peer got, and the root's last failure),
   * ERR_PEER_CLOSED when the peer closes, ERR_PEER_ABORTED when the signal aborts.
   */
  wait(options: JoinedOptions = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
    if (!(timeoutMs >= 0)) {
      return Promise.reject(
        new PeerError(
          'ERR_PEER_INVALID_OPTIONS',
          `timeoutMs must be a number of ms, got ${timeoutMs}`,
        ),
      );
    }
    const peer = this.#peer;
    if (peer.isClosed) return Promise.reject(closedError());
    if (peer.joinedParent !== null) return Promise.resolve(peer.joinedParent);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortedError(signal));

    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const onAbort = () => wait.reject(abortedError(signal as AbortSignal));
      const done = () => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waits.delete(wait);
        if (this.#waits.size === 0) this.#unsubscribe();
      };
      const wait: Wait = {
        resolve: (parent) => {
          done();
          resolve(parent);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      if (this.#waits.size === 0) this.#subscribe();
      this.#waits.add(wait);
      if (timeoutMs <= MAX_TIMER_MS) {
        timer = this.#clock.setTimeout(() => wait.reject(this.#timeoutError(timeoutMs)), timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  readonly #onJoined = ({ parent }: { parent: string }) => {
    for (const wait of [...this.#waits]) wait.resolve(parent);
  };
  readonly #onClosed = () => {
    for (const wait of [...this.#waits]) wait.reject(closedError());
  };
  readonly #onRootUnreachable = ({ error }: { error: string }) => {
    this.#lastRootError = error;
  };
  readonly #onDropped = ({ reason, from }: { reason: string; from: string }) => {
    if (reason === 'not-from-root') this.#answeredFrom = from;
  };

  #subscribe(): void {
    this.#peer.on('joined', this.#onJoined);
    this.#peer.on('closed', this.#onClosed);
    this.#peer.on('root-unreachable', this.#onRootUnreachable);
    this.#peer.on('dropped', this.#onDropped);
  }

  #unsubscribe(): void {
    this.#peer.off('joined', this.#onJoined);
    this.#peer.off('closed', this.#onClosed);
    this.#peer.off('root-unreachable', this.#onRootUnreachable);
    this.#peer.off('dropped', this.#onDropped);
    this.#lastRootError = undefined;
    this.#answeredFrom = undefined;
  }

  /** Says how far the peer got, so that the user knows where to look. */
  #timeoutError(timeoutMs: number): PeerError {
    const peer = this.#peer;
    let stage: string;
    if (!peer.registered && this.#answeredFrom !== undefined) {
      stage =
        `an answer came from ${this.#answeredFrom}, not from the root address given (${peer.roots.join(', ')}); ` +
        'give the address the root names itself by';
    } else if (!peer.registered) {
      stage = this.#lastRootError ?? `the root ${peer.root} has not answered Register`;
    } else if (peer.parent === null) {
      stage =
        this.#lastRootError ?? `registered, but the root ${peer.root} has not placed the peer yet`;
    } else if (!peer.joinAcknowledged) {
      stage = `the parent ${peer.parent} has not acknowledged the Join`;
    } else {
      stage =
        `the parent ${peer.parent} took the Join but no hello has been answered through it ` +
        '(it may have refused the Join)';
    }
    return new PeerError(
      'ERR_PEER_JOIN_TIMEOUT',
      `the peer did not join the tree within ${formatMs(timeoutMs)}: ${stage}`,
    );
  }
}

function closedError(): PeerError {
  return new PeerError('ERR_PEER_CLOSED', 'the peer was closed before it joined the tree');
}

function abortedError(signal: AbortSignal): PeerError {
  return new PeerError('ERR_PEER_ABORTED', 'stopped waiting for the peer to join the tree', {
    cause: signal.reason,
  });
}

function formatMs(ms: number): string {
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}
