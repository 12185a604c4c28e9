import type { EventEmitter } from 'node:events';
import { formatAddress, type Packet } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock, TimerHandle } from '../clock.js';
import type { TreeCore } from '../core/tree-core.js';
import { PeerError } from '../errors.js';
import type { PeerEvents } from '../events.js';
import type { PeerSettings } from './options.js';
import type { RootAddresses } from './root-addresses.js';

type Answer = 'register-response' | 'advertise-response';
type Waiter = (answered: boolean) => void;
/** One request's retry loop; `stopped` ends it without an answer. */
interface Run {
  stopped: boolean;
}

export interface RootClientOptions {
  core: TreeCore;
  roots: RootAddresses;
  settings: PeerSettings;
  clock: Clock;
  logger: Logger;
  events: EventEmitter<PeerEvents>;
  /** The root placed this peer under `parent` (an Advertise response). */
  placed(parent: string): void;
  /** An Advertise went unanswered: not acknowledged, or no answer within the request timeout. */
  unanswered?(): void;
}

/**
 * The peer as a client of the root (protocol.md 5.2, 5.3): Register and Advertise, each retried
 * with backoff until the root answers (auto mode) or tried once per root (manual); with several
 * roots, each attempt goes to the next one, and the root that answers leads from then on.
 */
export class RootClient {
  readonly #core: TreeCore;
  readonly #roots: RootAddresses;
  readonly #settings: PeerSettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventEmitter<PeerEvents>;
  readonly #placed: (parent: string) => void;
  readonly #unanswered: () => void;
  /** The Advertise in progress: {@link stopAdvertising} ends it without an answer. */
  #advertiseRun: Run | undefined;
  #registered = false;
  #advertising: Promise<string> | undefined;
  #registering: Promise<void> | undefined;
  readonly #waiters: Record<Answer, Set<Waiter>> = {
    'register-response': new Set(),
    'advertise-response': new Set(),
  };
  readonly #sleeps = new Map<TimerHandle, { kind: Packet['kind']; wake: () => void }>();
  #closed = false;

  constructor(options: RootClientOptions) {
    this.#core = options.core;
    this.#roots = options.roots;
    this.#settings = options.settings;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#placed = options.placed;
    this.#unanswered = options.unanswered ?? (() => {});
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** Registers; resolves on the root's RESACK. Retries until then when `retryForever`. */
  register(retryForever: boolean): Promise<void> {
    const self = this.#core.self;
    this.#registering ??= this.#request(
      { kind: 'register-request', source: self, address: self },
      'register-response',
      retryForever,
    ).finally(() => {
      this.#registering = undefined;
    });
    return this.#registering;
  }

  /** Asks for a parent; resolves with it once attached. Retries until then when `retryForever`. */
  advertise(retryForever: boolean): Promise<string> {
    if (this.#advertising !== undefined) return this.#advertising;
    const run: Run = { stopped: false };
    this.#advertiseRun = run;
    const advertising = this.#request(
      { kind: 'advertise-request', source: this.#core.self },
      'advertise-response',
      retryForever,
      run,
    )
      .then(() => this.#core.parent as string)
      .finally(() => {
        if (this.#advertising === advertising) this.#advertising = undefined;
      });
    this.#advertising = advertising;
    return advertising;
  }

  /** A Register or Advertise response (anything else the root sends a peer is dropped). */
  answer(packet: Packet, from: string): void {
    const core = this.#core;
    if (packet.kind !== 'register-response' && packet.kind !== 'advertise-response') {
      core.drop('unexpected-kind', packet, from);
      return;
    }
    if (!this.#roots.has(from)) {
      core.drop('not-from-root', packet, from);
      return;
    }
    // It answered: it leads (a standby does not listen). Talk to it from now on.
    this.#roots.use(from);
    if (packet.kind === 'register-response') {
      const first = !this.#registered;
      this.#registered = true;
      if (first) {
        this.#logger.info({ root: this.#roots.current }, 'registered');
        this.#events.emit('registered', { root: this.#roots.current });
      }
    } else {
      const parent = formatAddress(packet.parent);
      if (parent === core.address) {
        core.drop('unexpected-kind', packet, from);
        return;
      }
      // The request in progress is answered, whichever attempt this answers: another attempt
      // would ask again, and a node that asks again before a hello proved its parent is moved.
      if (this.#advertiseRun !== undefined) this.#advertiseRun.stopped = true;
      this.#placed(parent);
    }
    for (const waiter of this.#waiters[packet.kind]) waiter(true);
    this.#waiters[packet.kind].clear();
  }

  /**
   * Ends the Advertise in progress, if any, without waiting for an answer: the peer is in the tree
   * again without one (its hello was answered after the root came back). It resolves with the
   * parent the peer has.
   */
  stopAdvertising(): void {
    const run = this.#advertiseRun;
    if (this.#advertising === undefined || run === undefined) return;
    run.stopped = true;
    // A reunion failure from now on asks the root again, in a request of its own.
    this.#advertising = undefined;
    this.#advertiseRun = undefined;
    for (const waiter of this.#waiters['advertise-response']) waiter(false);
    for (const [handle, { kind, wake }] of this.#sleeps) {
      if (kind !== 'advertise-request') continue;
      this.#clock.clearTimeout(handle);
      this.#sleeps.delete(handle);
      wake();
    }
  }

  /** Wakes every backoff and wait: pending requests reject ERR_PEER_CLOSED. */
  close(): void {
    this.#closed = true;
    for (const [handle, { wake }] of this.#sleeps) {
      this.#clock.clearTimeout(handle);
      wake();
    }
    this.#sleeps.clear();
    for (const waiters of Object.values(this.#waiters)) {
      for (const waiter of waiters) waiter(false);
      waiters.clear();
    }
  }

  /**
   * Sends a request to the root and waits for its answer, retrying with backoff if asked to; with
   * several roots, each attempt goes to the next one (a try of each, in manual mode).
   */
  async #request(
    packet: Packet,
    answer: Answer,
    retryForever: boolean,
    run: Run = { stopped: false },
  ): Promise<void> {
    const roots = this.#roots;
    const { requestTimeout, retry } = this.#settings;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw closedError();
      if (run.stopped) return;
      const answer$ = this.#waitFor(answer);
      // Told at once, not after the send gives up (the transport's ACK timeout is longer).
      if (packet.kind === 'advertise-request') {
        void answer$.answered.then((answered) => {
          if (!answered && !this.#closed && !run.stopped) this.#unanswered();
        });
      }
      let failure: PeerError;
      try {
        this.#core.counters.packetsOut[packet.kind]++;
        await this.#core.transport.send(roots.current, packet, { urgent: true });
        if (await answer$.answered) return;
        failure = new PeerError(
          'ERR_PEER_NO_ANSWER',
          `the root ${roots.current} did not answer ${packet.kind} within ${requestTimeout} ms`,
        );
      } catch (error) {
        answer$.cancel();
        this.#core.counters.sendFailures++;
        failure = new PeerError(
          'ERR_PEER_ROOT_UNREACHABLE',
          `cannot reach the root ${roots.current}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (this.#closed) throw closedError();
      if (run.stopped) return;
      // Several roots: the next one is asked at once; the backoff comes after each round.
      const roundDone = (attempt + 1) % roots.count === 0;
      const round = Math.floor(attempt / roots.count);
      let retryInMs: number | null = 0;
      if (roundDone)
        retryInMs = retryForever ? Math.min(retry.maxMs, retry.initialMs * 2 ** round) : null;
      this.#logger.warn(
        { root: roots.current, err: failure.message, retryInMs },
        'root did not answer',
      );
      this.#events.emit('root-unreachable', { error: failure.message, retryInMs });
      roots.next();
      if (retryInMs === null) throw failure;
      if (retryInMs > 0) await this.#sleep(retryInMs, packet.kind);
    }
  }

  /** `answered` resolves true when `kind` arrives from the root, false after the request timeout or on close. */
  #waitFor(kind: Answer): { answered: Promise<boolean>; cancel(): void } {
    let settle: Waiter = () => {};
    const answered = new Promise<boolean>((resolve) => {
      const waiters = this.#waiters[kind];
      const timer = this.#clock.setTimeout(() => settle(false), this.#settings.requestTimeout);
      settle = (result) => {
        this.#clock.clearTimeout(timer);
        waiters.delete(settle);
        resolve(result);
      };
      waiters.add(settle);
    });
    return { answered, cancel: () => settle(false) };
  }

  #sleep(ms: number, kind: Packet['kind']): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#clock.setTimeout(() => {
        this.#sleeps.delete(handle);
        resolve();
      }, ms);
      this.#sleeps.set(handle, { kind, wake: resolve });
    });
  }
}

function closedError(): PeerError {
  return new PeerError('ERR_PEER_CLOSED', 'the peer is closed');
}
