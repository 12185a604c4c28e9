import {
  type Address,
  type Framing,
  formatAddress,
  MAX_PATH_ENTRIES,
  type Packet,
  parseAddress,
} from '@p2p/codec';
import { type Logger, StreamNode, type StreamNodeOptions } from '@p2p/stream';
import { advertiseAddress } from './advertise-address.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { PeerError } from './errors.js';
import type { PeerEvents } from './events.js';
import { type JoinedOptions, JoinWaiters } from './join-wait.js';
import { PendingRelays } from './pending-relays.js';
import type { RateLimit } from './rate-limit.js';
import { RootAddresses, type RootOption } from './root-addresses.js';
import { resolveTimings, type TimingProfile, type Timings } from './timings.js';
import type { Transport } from './transport.js';
import { type RemoteSocket, TreeNode } from './tree-node.js';

export type PeerMode = 'auto' | 'manual';

/** Where a peer stands in the reunion cycle. */
export type ReunionState = 'detached' | 'attached' | 'failure';

interface PeerCommonOptions {
  /**
   * The root's address, 'HOST:PORT'; several (active/standby roots, each on its own address):
   * 'A,B' or a list. The peer talks to one at a time and moves to the next when it is unreachable.
   */
  root: RootOption;
  /** 'auto' (default) registers and advertises at start; 'manual' waits for register()/advertise(). */
  mode?: PeerMode;
  /** Timers in ms, or a profile: 'reference' (default: 4 s / 38 s) or 'fast'. */
  timings?: Partial<Timings> | TimingProfile;
  /** How long to wait for the root's answer to Register or Advertise before asking again. */
  requestTimeout?: number;
  /** Backoff between attempts to reach the root: first and largest delay in ms. */
  retry?: { initialMs?: number; maxMs?: number };
  logger?: Logger;
  clock?: Clock;
  /** Accept a Join from this node? Default: every Join. */
  acceptJoin?: (from: string) => boolean;
  /** Messages per second each neighbour may send (default 5,000, bursts of 10,000); false: no limit. */
  messageRate?: RateLimit | false;
  /**
   * The address other nodes reach this peer at, put in its packets, when it is not the listening
   * address (a forwarded port…); port 0 means the listening port. Default: the listening address,
   * or for a peer listening on 0.0.0.0 the interface that reaches the root.
   */
  advertise?: string | Address;
  /**
   * Largest Message text in UTF-8 bytes (originated and forwarded). Default 2,028 with a window of
   * 1 (what a lock-step binary node takes), else 65,536.
   */
  maxMessageBytes?: number;
}

/** Options of `Peer.start`: the peer opens its own TCP server. */
export interface PeerOptions extends PeerCommonOptions {
  /** This peer's server address, 'HOST:PORT' (port 0: the OS picks). */
  listen: string | Address;
  /** Framing for nodes not yet heard from (default 'binary'). */
  framing?: Framing;
  /** Unacknowledged packets per connection (default 1, lock-step). */
  window?: number;
  /** Further transport options (timeouts, limits). */
  stream?: Omit<StreamNodeOptions, 'listen' | 'defaultFraming' | 'window' | 'logger'>;
}

/** Options of the constructor: a transport made elsewhere (tests, embedding). */
export interface PeerInit extends PeerCommonOptions {
  transport: Transport;
  /** The transport's send window (default 1), for the Message size limits. */
  window?: number;
}

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
}

type Waiter = (answered: boolean) => void;

function parseOption(name: string, value: string | Address): Address {
  try {
    return typeof value === 'string' ? parseAddress(value) : value;
  } catch (error) {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `invalid ${name} address: ${(error as Error).message}`,
    );
  }
}

/**
 * A non-root node (protocol.md 5.2–5.6): registers with the root, asks it for a parent, joins the
 * parent, keeps the reunion cycle going and re-advertises when it fails.
 */
export class Peer extends TreeNode<PeerEvents> {
  readonly #roots: RootAddresses;
  readonly mode: PeerMode;
  readonly timings: Timings;
  readonly #clock: Clock;
  readonly #requestTimeout: number;
  readonly #retryInitial: number;
  readonly #retryMax: number;
  #registered = false;
  #reunion: ReunionState = 'detached';
  #helloSentAt: number | null = null;
  #lastHelloAnsweredAt: number | null = null;
  #helloTimer: TimerHandle | undefined;
  #failureTimer: TimerHandle | undefined;
  /** Counts attachments, so that the answer to an old Join does not start a newer cycle. */
  #attachments = 0;
  /** Hellos from below not answered yet, relayed again once the path up works again. */
  readonly #relays: PendingRelays;
  /** Set while the root (our parent) is unreachable: the next attempt to reach it again. */
  #rootRetry: TimerHandle | undefined;
  #rootRetryDelay = 0;
  /** The parent left in reunion failure: told with Leave if the next parent is another one. */
  #formerParent: string | null = null;
  /** The parent through which a hello was answered since the current attachment's Join, or null. */
  #joinedParent: string | null = null;
  /** The current attachment's Join was acknowledged (a parent refusing it acknowledges it too). */
  #joinAcknowledged = false;
  readonly #joinWaiters: JoinWaiters;
  #advertising: Promise<string> | undefined;
  #registering: Promise<void> | undefined;
  readonly #waiters = {
    'register-response': new Set<Waiter>(),
    'advertise-response': new Set<Waiter>(),
  };
  readonly #sleeps = new Map<TimerHandle, () => void>();
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
        options.advertise === undefined ? undefined : parseOption('advertise', options.advertise),
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
    super({
      ...init,
      advertise:
        init.advertise === undefined ? undefined : parseOption('advertise', init.advertise),
    });
    this.#roots = new RootAddresses(init.root);
    if (this.#roots.has(this.address))
      throw new PeerError('ERR_PEER_INVALID_OPTIONS', 'a peer cannot be its own root');
    this.mode = init.mode ?? 'auto';
    if (this.mode !== 'auto' && this.mode !== 'manual') {
      throw new PeerError(
        'ERR_PEER_INVALID_OPTIONS',
        `mode must be 'auto' or 'manual', got ${String(this.mode)}`,
      );
    }
    try {
      this.timings = resolveTimings(init.timings);
    } catch (error) {
      throw new PeerError('ERR_PEER_INVALID_OPTIONS', (error as Error).message);
    }
    // A child heard from in none of that time has left (its Leave lost) or is gone.
    this.dropSilentChildrenAfter(this.timings.peerTimeout + this.timings.helloInterval);
    this.#clock = init.clock ?? systemClock;
    this.#requestTimeout =
      init.requestTimeout ?? Math.min(5_000, Math.max(1_000, this.timings.helloInterval * 2));
    this.#retryInitial = init.retry?.initialMs ?? 250;
    this.#retryMax = init.retry?.maxMs ?? 10_000;
    this.#relays = new PendingRelays(this.timings.peerTimeout);
    this.#joinWaiters = new JoinWaiters(this, this.#clock);
  }

  /** In auto mode, registers and advertises in the background (retrying until it works). */
  begin(): void {
    if (this.mode !== 'auto') return;
    void (async () => {
      try {
        await this.register();
        if (this.#reunion === 'detached') await this.advertise();
      } catch (error) {
        if ((error as PeerError).code !== 'ERR_PEER_CLOSED')
          this.logger.error({ err: (error as Error).message }, 'joining failed');
      }
    })();
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
    return this.#registered;
  }

  get reunion(): ReunionState {
    return this.#reunion;
  }

  /**
   * The parent through which a hello was answered since this peer's Join, or null: not in the
   * tree yet (or any more).
   */
  get joinedParent(): string | null {
    return this.#joinedParent;
  }

  /** The current parent acknowledged the Join (which a parent refusing it does too). */
  get joinAcknowledged(): boolean {
    return this.#joinAcknowledged;
  }

  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  /**
   * Resolves with the parent once the peer is in the tree: registered, placed, and its first hello
   * after the Join answered through that parent (a parent that refused the Join relays none), at
   * once if it already is. From then on a broadcast reaches the tree. Rejects ERR_PEER_JOIN_TIMEOUT
   * after `timeoutMs` (default 30 s; the message says how far the peer got), ERR_PEER_CLOSED when the
   * peer closes, ERR_PEER_ABORTED when `signal` aborts.
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
      registered: this.#registered,
      parent: this.parent,
      children: this.children,
      reunion: this.#reunion,
      helloOutstanding: this.#helloSentAt !== null,
      joined: this.#joinedParent !== null,
      lastHelloAnsweredAt: this.#lastHelloAnsweredAt,
    };
  }

  /**
   * Registers with the root and resolves on its RESACK. Auto mode retries with backoff until the
   * root answers; manual mode tries once and rejects with ERR_PEER_ROOT_UNREACHABLE or ERR_PEER_NO_ANSWER.
   */
  register(): Promise<void> {
    this.#registering ??= this.#request(
      { kind: 'register-request', source: this.self, address: this.self },
      'register-response',
      this.mode === 'auto',
    )
      .then(() => undefined)
      .finally(() => {
        this.#registering = undefined;
      });
    return this.#registering;
  }

  /**
   * Asks the root for a parent; resolves with it once attached. Needs registration first
   * (ERR_PEER_NOT_REGISTERED). Retries like register().
   */
  advertise(): Promise<string> {
    if (!this.#registered) {
      return Promise.reject(
        new PeerError('ERR_PEER_NOT_REGISTERED', 'not registered with the root yet: Register first'),
      );
    }
    return this.#advertise(this.mode === 'auto');
  }

  /** Stops timers and the TCP server; pending register/advertise calls reject ERR_PEER_CLOSED. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.emit('closed');
      this.#stopCycle();
      for (const [handle, wake] of this.#sleeps) {
        this.#clock.clearTimeout(handle);
        wake();
      }
      this.#sleeps.clear();
      for (const waiters of Object.values(this.#waiters)) {
        for (const waiter of waiters) waiter(false);
        waiters.clear();
      }
      this.detach();
      await this.transport.close();
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected override handle(packet: Packet, from: string, remote: RemoteSocket): void {
    // In reunion failure a peer handles nothing but the root's Advertise response (5.6.6). A
    // hello from a child is still remembered, to be relayed once attached again.
    if (this.#reunion === 'failure' && packet.kind !== 'advertise-response') {
      if (packet.kind === 'reunion-hello' && this.checkHelloPath(packet.path, from) === undefined)
        this.#relays.remember(packet.path, this.#clock.now());
      this.drop('reunion-failure', packet, from);
      return;
    }
    super.handle(packet, from, remote);
  }

  protected override onHello(path: readonly Address[], packet: Packet, from: string): void {
    if (this.checkHelloPath(path, from) === undefined)
      this.#relays.remember(path, this.#clock.now());
    super.onHello(path, packet, from);
  }

  protected override onHelloBack(path: readonly Address[], packet: Packet, from: string): void {
    const first = path[0];
    const originator = path[path.length - 1];
    if (
      path.length > 1 &&
      first !== undefined &&
      originator !== undefined &&
      formatAddress(first) === this.address
    )
      this.#relays.answered(formatAddress(originator));
    super.onHelloBack(path, packet, from);
  }

  protected override onControl(packet: Packet, from: string): void {
    if (packet.kind !== 'register-response' && packet.kind !== 'advertise-response') {
      this.drop('unexpected-kind', packet, from);
      return;
    }
    if (!this.#roots.has(from)) {
      this.drop('not-from-root', packet, from);
      return;
    }
    // It answered: it leads (a standby does not listen). Talk to it from now on.
    this.#roots.use(from);
    if (packet.kind === 'register-response') {
      const first = !this.#registered;
      this.#registered = true;
      if (first) {
        this.logger.info({ root: this.root }, 'registered');
        this.emit('registered', { root: this.root });
      }
    } else {
      const parent = formatAddress(packet.parent);
      if (parent === this.address) {
        this.drop('unexpected-kind', packet, from);
        return;
      }
      this.#attach(parent);
    }
    for (const waiter of this.#waiters[packet.kind]) waiter(true);
    this.#waiters[packet.kind].clear();
  }

  protected override onHelloAnswered(packet: Packet, from: string): void {
    if (from !== this.parent || this.#helloSentAt === null) {
      this.drop('not-a-neighbour', packet, from);
      return;
    }
    const roundTripMs = this.#clock.now() - this.#helloSentAt;
    this.#helloSentAt = null;
    this.#rootRetryDelay = 0;
    this.#lastHelloAnsweredAt = this.#clock.now();
    if (this.#failureTimer !== undefined) this.#clock.clearTimeout(this.#failureTimer);
    this.#failureTimer = undefined;
    this.emit('hello-answered', { roundTripMs });
    if (this.#joinedParent === null && this.#reunion === 'attached') {
      this.#joinedParent = from;
      this.emit('joined', { parent: from });
    }
  }

  protected override onUnreachable(remote: string, error: Error & { code?: string }): void {
    super.onUnreachable(remote, error);
    if (remote !== this.parent || this.#reunion !== 'attached') return;
    // A root that closed our connection may be restarting on the same store: keep trying to
    // reach it, and hand it the hellos it may have lost; the peer timeout still bounds the wait.
    // Any other parent that goes away is gone.
    if (this.#roots.has(remote)) {
      this.#reachRootAgain();
      return;
    }
    this.#fail('parent-unreachable');
  }

  /**
   * The root, our parent, is unreachable (restarting, say): after a backoff, send the hello that
   * is outstanding again, and the hellos relayed for the nodes below, until one gets through.
   * With several roots each attempt goes to the next one: the parent follows the root that leads
   * now (a standby that took over has the tree, and us under the root, from the shared store).
   */
  #reachRootAgain(): void {
    if (this.#rootRetry !== undefined || this.#closed !== undefined) return;
    const delay = Math.min(
      this.timings.helloInterval,
      this.#rootRetryDelay === 0 ? this.#retryInitial : this.#rootRetryDelay * 2,
    );
    this.#rootRetryDelay = delay;
    this.#rootRetry = this.#clock.setTimeout(() => {
      this.#rootRetry = undefined;
      if (this.#reunion !== 'attached' || !this.#roots.has(this.parent)) return;
      if (this.#roots.count > 1) {
        // The root after the one we were under (a request may have moved the current one since).
        this.#roots.use(this.parent as string);
        this.setParent(this.#roots.next(), 'root unreachable');
      }
      if (this.#helloSentAt !== null) {
        this.counters.hellosSent++;
        void this.sendPacket(this.root, {
          kind: 'reunion-hello',
          source: this.self,
          path: [this.self],
        }).then((sent) => {
          if (sent) this.#relayAgain();
          else this.#reachRootAgain();
        });
      } else this.#relayAgain();
    }, delay);
  }

  /** Relays again the hellos from below that are not answered yet (a new path up works). */
  #relayAgain(): void {
    const parent = this.parent;
    if (parent === null || this.#reunion !== 'attached') return;
    for (const path of this.#relays.waiting(this.#clock.now())) {
      if (path.length >= MAX_PATH_ENTRIES) continue;
      if (!this.children.includes(formatAddress(path[path.length - 1] as Address))) continue;
      this.counters.hellosRelayed++;
      void this.sendPacket(parent, {
        kind: 'reunion-hello',
        source: this.self,
        path: [...path, this.self],
      });
    }
  }

  #attach(parent: string): void {
    const previous = this.parent ?? this.#formerParent;
    this.#formerParent = null;
    // The old parent edge goes (5.3.4): tell the old parent (Leave, so that it stops counting us
    // as a child), then drop the connection. Not the root: it moved us itself, and our connection
    // to it carries Register traffic (kept, and never held up by a Leave a reference root might
    // not acknowledge).
    if (previous !== null && previous !== parent && !this.#roots.has(previous)) {
      void this.sendPacket(previous, { kind: 'leave', source: this.self }).then(() => {
        // It may have become our parent again, or our child, in the meantime.
        if (previous !== this.parent && !this.children.includes(previous))
          this.transport.disconnect(previous);
      });
    }
    if (this.children.includes(parent)) this.removeChild(parent, 'became parent');
    // State first: listeners of the 'parent' event see the peer attached.
    this.#reunion = 'attached';
    this.#helloSentAt = null;
    this.#lastParentAck = Number.NEGATIVE_INFINITY;
    this.setParent(parent);
    this.#stopCycle();
    this.logger.info({ parent, previous }, 'attached to parent');
    // The peer timeout runs from the Join: a parent that is stopped (its socket open, nothing
    // answering) never acknowledges it, and the transport's ACK timeout is much longer.
    const attachment = ++this.#attachments;
    this.#failureTimer = this.#clock.setTimeout(
      () => this.#fail('timeout'),
      this.timings.peerTimeout,
    );
    this.#joinedParent = null;
    this.#joinAcknowledged = false;
    void this.sendPacket(parent, { kind: 'join', source: this.self }).then((acknowledged) => {
      if (attachment !== this.#attachments || this.#reunion !== 'attached') return;
      if (this.#closed !== undefined) return;
      // In the tree once a hello is answered through the parent (onHelloAnswered): the first one
      // goes now, right behind the Join.
      this.#joinAcknowledged = acknowledged;
      if (this.#failureTimer !== undefined) this.#clock.clearTimeout(this.#failureTimer);
      this.#failureTimer = undefined;
      this.#tick();
      this.#relayAgain();
    });
  }

  #tick(): void {
    if (this.#helloTimer !== undefined) this.#clock.clearTimeout(this.#helloTimer);
    this.#helloTimer = this.#clock.setTimeout(() => this.#tick(), this.timings.helloInterval);
    const parent = this.parent;
    if (this.#reunion !== 'attached' || parent === null || this.#helloSentAt !== null) return;
    this.#helloSentAt = this.#clock.now();
    this.counters.hellosSent++;
    this.#failureTimer = this.#clock.setTimeout(
      () => this.#fail('timeout'),
      this.timings.peerTimeout,
    );
    void this.sendPacket(parent, { kind: 'reunion-hello', source: this.self, path: [this.self] });
  }

  /** Hellos (ours and relayed) sent to the parent and not acknowledged yet, oldest first. */
  readonly #unacked = new Set<{ at: number; parent: string; attachment: number }>();
  /** When the parent last acknowledged anything we sent it (this attachment). */
  #lastParentAck = Number.NEGATIVE_INFINITY;
  #silenceTimer: TimerHandle | undefined;

  /**
   * Watches hellos to the parent (ours and those relayed for the subtree): a parent that has
   * acknowledged nothing for half the peer timeout while a hello waits is silent (stopped, cut
   * off) and is left at once. The nodes below hold hellos lost with it, and their peer timeouts
   * run from about the same moment as ours: we must be back in the tree, relaying them again,
   * well before those end (no second wave). Progress is what counts, not how long a hello
   * queued: a parent that acknowledges frame after frame, only slower than a burst arrives, is
   * healthy. The root, as a parent, may be restarting: its peer timeout decides.
   */
  protected override async sendPacket(to: string, packet: Packet): Promise<boolean> {
    const attachment = this.#attachments;
    const watched = packet.kind === 'reunion-hello' && to === this.parent && !this.#roots.has(to);
    const entry = { at: this.#clock.now(), parent: to, attachment };
    if (watched) {
      this.#unacked.add(entry);
      this.#watchSilence();
    }
    try {
      const sent = await super.sendPacket(to, packet);
      if (sent && to === this.parent && attachment === this.#attachments)
        this.#lastParentAck = this.#clock.now();
      return sent;
    } finally {
      this.#unacked.delete(entry);
    }
  }

  /** The oldest hello still waiting on the current parent, dropping those sent to earlier ones. */
  #oldestUnacked(): { at: number } | undefined {
    for (const entry of this.#unacked) {
      if (entry.attachment === this.#attachments && entry.parent === this.parent) return entry;
      this.#unacked.delete(entry); // sent to an earlier parent: not this one's silence
    }
    return undefined;
  }

  #watchSilence(): void {
    if (this.#silenceTimer !== undefined || this.#closed !== undefined) return;
    const oldest = this.#oldestUnacked();
    if (oldest === undefined) return;
    const limit = this.timings.peerTimeout / 2;
    const since = Math.max(oldest.at, this.#lastParentAck);
    this.#silenceTimer = this.#clock.setTimeout(
      () => {
        this.#silenceTimer = undefined;
        const waiting = this.#oldestUnacked();
        if (
          waiting !== undefined &&
          this.#reunion === 'attached' &&
          this.#clock.now() - Math.max(waiting.at, this.#lastParentAck) >= limit
        ) {
          this.#unacked.clear();
          this.#fail('parent-unreachable');
          return;
        }
        this.#watchSilence();
      },
      Math.max(0, since + limit - this.#clock.now()),
    );
  }

  #stopCycle(): void {
    if (this.#helloTimer !== undefined) this.#clock.clearTimeout(this.#helloTimer);
    if (this.#failureTimer !== undefined) this.#clock.clearTimeout(this.#failureTimer);
    if (this.#rootRetry !== undefined) this.#clock.clearTimeout(this.#rootRetry);
    if (this.#silenceTimer !== undefined) this.#clock.clearTimeout(this.#silenceTimer);
    this.#silenceTimer = undefined;
    this.#helloTimer = undefined;
    this.#failureTimer = undefined;
    this.#rootRetry = undefined;
    this.#rootRetryDelay = 0;
  }

  /** Reunion failure (5.6.6): drop the parent edge and re-advertise until the root answers. */
  #fail(reason: 'timeout' | 'parent-unreachable'): void {
    if (this.#reunion === 'failure' || this.#closed !== undefined) return;
    const parent = this.parent;
    this.#reunion = 'failure';
    this.#joinedParent = null;
    this.#joinAcknowledged = false;
    this.#helloSentAt = null;
    this.#formerParent = parent;
    this.#stopCycle();
    this.logger.warn({ reason, parent }, 'reunion failure: asking the root for a new parent');
    this.setParent(null, reason);
    this.emit('reunion-failure', { reason, parent });
    this.#advertise(true).catch(() => {});
  }

  #advertise(retryForever: boolean): Promise<string> {
    this.#advertising ??= this.#request(
      { kind: 'advertise-request', source: this.self },
      'advertise-response',
      retryForever,
    )
      .then(() => this.parent as string)
      .finally(() => {
        this.#advertising = undefined;
      });
    return this.#advertising;
  }

  /**
   * Sends a request to the root and waits for its answer, retrying with backoff if asked to; with
   * several roots, each attempt goes to the next one (a try of each, in manual mode).
   */
  async #request(
    packet: Packet,
    answer: 'register-response' | 'advertise-response',
    retryForever: boolean,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed !== undefined) throw new PeerError('ERR_PEER_CLOSED', 'the peer is closed');
      const answer$ = this.#waitFor(answer);
      let failure: PeerError;
      try {
        this.counters.packetsOut[packet.kind]++;
        await this.transport.send(this.root, packet, { urgent: true });
        if (await answer$.answered) return;
        failure = new PeerError(
          'ERR_PEER_NO_ANSWER',
          `the root ${this.root} did not answer ${packet.kind} within ${this.#requestTimeout} ms`,
        );
      } catch (error) {
        answer$.cancel();
        this.counters.sendFailures++;
        failure = new PeerError(
          'ERR_PEER_ROOT_UNREACHABLE',
          `cannot reach the root ${this.root}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (this.#closed !== undefined) throw new PeerError('ERR_PEER_CLOSED', 'the peer is closed');
      // Several roots: the next one is asked at once; the backoff comes after each round.
      const roots = this.#roots.count;
      const roundDone = (attempt + 1) % roots === 0;
      const round = Math.floor(attempt / roots);
      let retryInMs: number | null = 0;
      if (roundDone)
        retryInMs = retryForever ? Math.min(this.#retryMax, this.#retryInitial * 2 ** round) : null;
      this.logger.warn({ root: this.root, err: failure.message, retryInMs }, 'root did not answer');
      this.emit('root-unreachable', { error: failure.message, retryInMs });
      this.#roots.next();
      if (retryInMs === null) throw failure;
      if (retryInMs > 0) await this.#sleep(retryInMs);
    }
  }

  /** `answered` resolves true when `kind` arrives from the root, false after the request timeout or on close. */
  #waitFor(kind: 'register-response' | 'advertise-response'): {
    answered: Promise<boolean>;
    cancel(): void;
  } {
    let settle: Waiter = () => {};
    const answered = new Promise<boolean>((resolve) => {
      const waiters = this.#waiters[kind];
      const timer = this.#clock.setTimeout(() => settle(false), this.#requestTimeout);
      settle = (result) => {
        this.#clock.clearTimeout(timer);
        waiters.delete(settle);
        resolve(result);
      };
      waiters.add(settle);
    });
    return { answered, cancel: () => settle(false) };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#clock.setTimeout(() => {
        this.#sleeps.delete(handle);
        resolve();
      }, ms);
      this.#sleeps.set(handle, resolve);
    });
  }
}
