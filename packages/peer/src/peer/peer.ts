import { EventEmitter } from 'node:events';
import { isLoopbackHost } from '@p2p/codec';
import { type Logger, StreamNode, silentLogger } from '@p2p/stream';
import { type Clock, systemClock } from '../clock.js';
import { advertiseAddress } from '../core/advertise-address.js';
import { OwnNeighbours } from '../core/neighbours.js';
import { SourceCheck } from '../core/source-check.js';
import { type BroadcastResult, type LosslessStats, TreeCore } from '../core/tree-core.js';
import { PeerError } from '../errors.js';
import type { NodeCounters, PeerEvents } from '../events.js';
import type { Timings } from '../timings.js';
import { type JoinedOptions, JoinWaiters } from './join-wait.js';
import {
  addressOption,
  type PeerInit,
  type PeerMode,
  type PeerOptions,
  peerSettings,
} from './options.js';
import { ReunionCycle, type ReunionState } from './reunion.js';
import { RootAddresses } from './root-addresses.js';
import { RootClient } from './root-client.js';

export interface PeerStatus {
  address: string;
  /** The root the peer talks to now. */
  root: string;
  /** Every root address it was given. */
  roots: string[];
  mode: PeerMode;
  registered: boolean;
  parent: string | null;
  children: string[];
  reunion: ReunionState;
  helloOutstanding: boolean;
  /** A hello was answered through the parent since the Join: broadcasts reach the tree. */
  joined: boolean;
  /** Clock time of the last answered hello, or null. */
  lastHelloAnsweredAt: number | null;
  /** The lossless extension's counters and usage, or null when it is turned off. */
  lossless: LosslessStats | null;
}

/**
 * A non-root node (protocol.md 5.2–5.6): registers with the root, asks it for a parent, joins the
 * parent, keeps the reunion cycle going and re-advertises when it fails. The tree core runs the
 * rules every node shares; the peer's role is its client of the root and its reunion cycle.
 */
export class Peer extends EventEmitter<PeerEvents> {
  readonly mode: PeerMode;
  readonly timings: Timings;
  readonly #core: TreeCore;
  readonly #roots: RootAddresses;
  readonly #rootClient: RootClient;
  readonly #reunion: ReunionCycle;
  readonly #joinWaiters: JoinWaiters;
  readonly #logger: Logger;
  #closed: Promise<void> | undefined;

  /** Opens the peer's TCP server and, in auto mode, starts joining the tree in the background. */
  static async start(options: PeerOptions): Promise<Peer> {
    const roots = new RootAddresses(options.root);
    const transport = await StreamNode.listen({
      ...options.stream,
      listen: options.listen,
      ...(options.framing === undefined ? {} : { defaultFraming: options.framing }),
      ...(options.window === undefined ? {} : { window: options.window }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    try {
      const advertise = await advertiseAddress(
        transport.address,
        roots.currentAddress,
        options.advertise === undefined ? undefined : addressOption('advertise', options.advertise),
      );
      const peer = new Peer({
        ...options,
        transport,
        ...(advertise === undefined ? {} : { advertise }),
      });
      peer.begin();
      return peer;
    } catch (error) {
      await transport.close();
      throw error;
    }
  }

  constructor(init: PeerInit) {
    super();
    const settings = peerSettings(init);
    this.mode = settings.mode;
    this.timings = settings.timings;
    const clock: Clock = init.clock ?? systemClock;
    const logger = init.logger ?? silentLogger;
    this.#logger = logger;
    const { peerTimeout, helloInterval } = settings.timings;
    const neighbours = new OwnNeighbours(this, {
      clock,
      logger,
      // A child heard from in none of that time has left (its Leave lost) or is gone.
      silentChildAfter: peerTimeout + helloInterval,
    });
    const roots = new RootAddresses(init.root);
    const sourceCheck =
      (init.verifySourceIp ?? !isLoopbackHost(init.transport.address.host))
        ? new SourceCheck({
            packets: 'extension',
            exempt: (address) => roots.has(address),
            clock,
            logger,
          })
        : undefined;
    const core = new TreeCore({
      ...init,
      advertise:
        init.advertise === undefined ? undefined : addressOption('advertise', init.advertise),
      events: this,
      neighbours,
      timings: settings.timings,
      fresh: true,
      rememberRelaysFor: peerTimeout,
      role: {
        admit:
          sourceCheck === undefined
            ? (frame) => this.#reunion.admit(frame)
            : (frame, from, remote) =>
                sourceCheck.admit(frame, from, remote) ?? this.#reunion.admit(frame),
        answersOffer:
          sourceCheck === undefined
            ? undefined
            : (offer, remote) => sourceCheck.answersOffer(offer, remote),
        control: (packet, from) => this.#rootClient.answer(packet, from),
        helloAnswered: (packet, from) => this.#reunion.helloAnswered(packet, from),
        unreachable: (remote) => this.#reunion.unreachable(remote),
        sending: (to, packet, acknowledged) => this.#reunion.sending(to, packet, acknowledged),
      },
    });
    if (roots.has(core.address)) {
      core.close();
      throw new PeerError('ERR_PEER_INVALID_OPTIONS', 'a peer cannot be its own root');
    }
    this.#core = core;
    this.#roots = roots;
    const parts = { core, roots, settings, clock, logger, events: this };
    this.#rootClient = new RootClient({
      ...parts,
      placed: (parent) => this.#reunion.attach(parent),
      unanswered: () => this.#reunion.rootUnanswered(),
    });
    this.#reunion = new ReunionCycle({
      ...parts,
      neighbours,
      readvertise: () => {
        this.#rootClient.advertise(true).catch(() => {});
      },
      rootBack: () => this.#rootClient.stopAdvertising(),
    });
    this.#joinWaiters = new JoinWaiters(this, clock);
  }

  /** In auto mode, registers and advertises in the background (retrying until it works). */
  begin(): void {
    if (this.mode !== 'auto') return;
    void (async () => {
      try {
        await this.register();
        if (this.#reunion.state === 'detached') await this.advertise();
      } catch (error) {
        if ((error as PeerError).code !== 'ERR_PEER_CLOSED')
          this.#logger.error({ err: (error as Error).message }, 'joining failed');
      }
    })();
  }

  /** This peer's address, 'HOST:PORT', as put in its packets. */
  get address(): string {
    return this.#core.address;
  }

  /** Counters for metrics: messages, hellos, drops by reason, packets by kind. */
  get counters(): NodeCounters {
    return this.#core.counters;
  }

  /** The lossless extension's counters, cache and edges, or null when it is turned off. */
  get losslessStats(): LosslessStats | null {
    return this.#core.losslessStats;
  }

  /** The parent's address, or null (not attached). */
  get parent(): string | null {
    return this.#core.parent;
  }

  /** The children's addresses. */
  get children(): string[] {
    return this.#core.children;
  }

  /** Parent first, then children. */
  get neighbours(): string[] {
    return this.#core.neighbourList;
  }

  isNeighbour(address: string): boolean {
    return this.#core.isNeighbour(address);
  }

  /** The largest Message text, in UTF-8 bytes, `broadcast` accepts. */
  get maxMessageBytes(): number {
    return this.#core.maxMessageBytes;
  }

  /** The root the peer talks to now, 'HOST:PORT' (the one that answered last, with several). */
  get root(): string {
    return this.#roots.current;
  }

  /** Every root address the peer was given, 'HOST:PORT'. */
  get roots(): readonly string[] {
    return this.#roots.all;
  }

  get registered(): boolean {
    return this.#rootClient.registered;
  }

  get reunion(): ReunionState {
    return this.#reunion.state;
  }

  /**
   * The parent through which a hello was answered since this peer's Join, or null: not in the
   * tree yet (or any more).
   */
  get joinedParent(): string | null {
    return this.#reunion.joinedParent;
  }

  /** The current parent acknowledged the Join (which a parent refusing it does too). */
  get joinAcknowledged(): boolean {
    return this.#reunion.joinAcknowledged;
  }

  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  /**
   * Resolves with the parent once the peer is in the tree: registered, placed, and its first hello
   * after the Join answered through that parent (a parent that refused the Join relays none), at
   * once if it already is. From then on a broadcast reaches the tree. Rejects
   * ERR_PEER_JOIN_TIMEOUT after `timeoutMs` (default 30 s; the message says how far the peer
   * got), ERR_PEER_CLOSED when the peer closes, ERR_PEER_ABORTED when `signal` aborts.
   */
  joined(options?: JoinedOptions): Promise<string> {
    return this.#joinWaiters.wait(options);
  }

  status(): PeerStatus {
    return {
      address: this.address,
      root: this.root,
      roots: [...this.roots],
      mode: this.mode,
      registered: this.registered,
      parent: this.parent,
      children: this.children,
      reunion: this.#reunion.state,
      helloOutstanding: this.#reunion.helloOutstanding,
      joined: this.#reunion.joinedParent !== null,
      lastHelloAnsweredAt: this.#reunion.lastHelloAnsweredAt,
      lossless: this.losslessStats,
    };
  }

  /**
   * Registers with the root and resolves on its RESACK. Auto mode retries with backoff until the
   * root answers; manual mode tries once and rejects with ERR_PEER_ROOT_UNREACHABLE or
   * ERR_PEER_NO_ANSWER.
   */
  register(): Promise<void> {
    return this.#rootClient.register(this.mode === 'auto');
  }

  /**
   * Asks the root for a parent; resolves with it once attached. Needs registration first
   * (ERR_PEER_NOT_REGISTERED). Retries like register().
   */
  advertise(): Promise<string> {
    if (!this.registered) {
      return Promise.reject(
        new PeerError(
          'ERR_PEER_NOT_REGISTERED',
          'not registered with the root yet: Register first',
        ),
      );
    }
    return this.#rootClient.advertise(this.mode === 'auto');
  }

  /**
   * Originates a Message: sends it to every neighbour. Resolves once every neighbour has
   * acknowledged it or failed; failures are counted, logged and listed, never thrown. A text
   * larger than `maxMessageBytes` is refused (ERR_PEER_MESSAGE_TOO_LARGE) before anything is sent.
   */
  broadcast(text: string): Promise<BroadcastResult> {
    return this.#core.broadcast(text);
  }

  /** Throws what `broadcast(text)` would refuse the text with (ERR_PEER_MESSAGE_TOO_LARGE), if anything. */
  checkMessage(text: string): void {
    this.#core.checkMessage(text);
  }

  /** Stops timers and the TCP server; pending register/advertise calls reject ERR_PEER_CLOSED. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.emit('closed');
      this.#reunion.close();
      this.#rootClient.close();
      this.#core.close();
      await this.#core.transport.close();
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
