import type { EventEmitter } from 'node:events';
import type { Packet, PacketKind } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock, TimerHandle } from '../clock.js';
import type { OwnNeighbours } from '../core/neighbours.js';
import type { TreeCore } from '../core/tree-core.js';
import type { DropReason, PeerEvents } from '../events.js';
import type { Timings } from '../timings.js';
import type { PeerSettings } from './options.js';
import { OwnSilence } from './own-silence.js';
import { ParentWatch } from './parent-watch.js';
import type { RootAddresses } from './root-addresses.js';

/** Where a peer stands in the reunion cycle. */
export type ReunionState = 'detached' | 'attached' | 'failure';

export interface ReunionOptions {
  core: TreeCore;
  neighbours: OwnNeighbours;
  roots: RootAddresses;
  settings: PeerSettings;
  clock: Clock;
  logger: Logger;
  events: EventEmitter<PeerEvents>;
  /** Reunion failure: ask the root for a new parent until it answers. */
  readvertise(): void;
  /** A hello was answered again while the root was away: the Advertise is no longer needed. */
  rootBack(): void;
}

/**
 * The peer's reunion cycle (protocol.md 5.3.4, 5.6): it takes the parent the root gives, joins
 * it, sends a hello every hello interval, and enters reunion failure – the parent edge dropped,
 * nothing handled but the root's Advertise response – when a hello goes unanswered for the peer
 * timeout or the parent fails; a root parent that fails is tried again instead (restarting).
 */
export class ReunionCycle {
  readonly #core: TreeCore;
  readonly #neighbours: OwnNeighbours;
  readonly #roots: RootAddresses;
  readonly #timings: Timings;
  readonly #retryInitial: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventEmitter<PeerEvents>;
  readonly #readvertise: () => void;
  readonly #rootBack: () => void;
  readonly #watch: ParentWatch;
  readonly #ownSilence: OwnSilence;
  #state: ReunionState = 'detached';
  #helloSentAt: number | null = null;
  #lastHelloAnsweredAt: number | null = null;
  #helloTimer: TimerHandle | undefined;
  #failureTimer: TimerHandle | undefined;
  /** Counts attachments, so that the answer to an old Join does not start a newer cycle. */
  #attachments = 0;
  /** Set while the root (our parent) is unreachable: the next attempt to reach it again. */
  #rootRetry: TimerHandle | undefined;
  #rootRetryDelay = 0;
  /** The parent left in reunion failure: told with Leave if the next parent is another one. */
  #formerParent: string | null = null;
  /** Why the last reunion failure came: a parent that answered (timeout) may be taken back. */
  #failReason: 'timeout' | 'parent-unreachable' | null = null;
  /**
   * The root did not answer the Advertise of reunion failure: the peer took its parent back and
   * resends its hello until one is answered; the peer timeout does not end this wait (5.6.6).
   */
  #rootAway = false;
  /** The parent through which a hello was answered since the current attachment's Join, or null. */
  #joinedParent: string | null = null;
  /** The current attachment's Join was acknowledged (a parent refusing it acknowledges it too). */
  #joinAcknowledged = false;
  /** Former parents whose connection is dropped when the timer fires (see `#dropLater`). */
  readonly #drops = new Map<string, TimerHandle>();
  #closed = false;

  constructor(options: ReunionOptions) {
    this.#core = options.core;
    this.#neighbours = options.neighbours;
    this.#roots = options.roots;
    this.#timings = options.settings.timings;
    this.#retryInitial = options.settings.retry.initialMs;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#readvertise = options.readvertise;
    this.#rootBack = options.rootBack;
    const cycle = this;
    this.#watch = new ParentWatch(
      {
        get parent() {
          return cycle.#neighbours.parent;
        },
        get attachments() {
          return cycle.#attachments;
        },
        get attached() {
          return cycle.#state === 'attached';
        },
        get closed() {
          return cycle.#closed;
        },
        isRoot: (address) => this.#roots.has(address),
        silent: () => this.#fail('parent-unreachable'),
      },
      this.#clock,
      this.#timings.peerTimeout,
    );
    this.#ownSilence = new OwnSilence(
      this.#clock,
      this.#timings.peerTimeout + this.#timings.helloInterval,
    );
  }

  get state(): ReunionState {
    return this.#state;
  }
  get helloOutstanding(): boolean {
    return this.#helloSentAt !== null;
  }
  get lastHelloAnsweredAt(): number | null {
    return this.#lastHelloAnsweredAt;
  }
  get joinedParent(): string | null {
    return this.#joinedParent;
  }
  get joinAcknowledged(): boolean {
    return this.#joinAcknowledged;
  }
  /** The peer kept its parent because the root does not answer; it waits for a hello back. */
  get rootAway(): boolean {
    return this.#rootAway;
  }

  /**
   * An Advertise went unanswered (not acknowledged, or no answer within the request timeout). In
   * reunion failure after a hello timeout, the parent still acknowledged what we sent: the root
   * is away, not the parent. No other parent can be had without the root, so the peer takes its
   * parent back and floods on, resending its hello until the root answers one (5.6.6).
   */
  rootUnanswered(): void {
    const parent = this.#formerParent;
    if (this.#state !== 'failure' || this.#failReason !== 'timeout' || parent === null) return;
    if (this.#closed) return;
    this.#logger.warn({ parent }, 'the root does not answer: keeping the parent, flooding on');
    this.#events.emit('root-away', { parent });
    this.attach(parent, true);
  }

  /** In reunion failure a peer handles nothing but the root's Advertise response (5.6.6). */
  admit(frame: { kind: PacketKind }): DropReason | undefined {
    // An Identified Message from a child is taken in failure too (protocol.md 10.1.6): only our
    // nodes send it, and dropped here it would be lost for good — the child's edge stays up, so no
    // digest exchange would ever bring it; cached, it reaches the new parent's side at the exchange.
    return this.#state === 'failure' &&
      frame.kind !== 'advertise-response' &&
      frame.kind !== 'identified-message'
      ? 'reunion-failure'
      : undefined;
  }

  /** Every packet sent with a promise: the parent's silence is watched on them. */
  sending(to: string, packet: Packet, acknowledged: Promise<boolean>): void {
    this.#watch.sending(to, packet, acknowledged);
    this.#ownSilence.sending(to, packet, this.#core.parent);
  }

  /**
   * The root placed this peer under `parent` (5.3.4): leave the old parent, join the new one. With
   * `rootAway`, the peer takes its own parent back without the root (see {@link rootUnanswered}).
   */
  attach(parent: string, rootAway = false): void {
    const core = this.#core;
    const previous = core.parent ?? this.#formerParent;
    this.#formerParent = null;
    // The old parent edge goes (5.3.4): tell the old parent (Leave, so that it stops counting us
    // as a child), then drop the connection. Not the root: it moved us itself, and our connection
    // to it carries Register traffic (kept, and never held up by a Leave a reference root might
    // not acknowledge).
    if (previous !== null && previous !== parent && !this.#roots.has(previous)) {
      void core
        .send(previous, { kind: 'leave', source: core.self })
        .then(() => this.#dropLater(previous));
    }
    if (this.#neighbours.isChild(parent)) core.removeChild(parent, 'became parent');
    // State first: listeners of the 'parent' event see the peer attached.
    this.#state = 'attached';
    this.#helloSentAt = null;
    this.#watch.attached();
    this.#neighbours.setParent(parent);
    this.#stopCycle();
    this.#rootAway = rootAway;
    this.#logger.info({ parent, previous, rootAway }, 'attached to parent');
    const attachment = ++this.#attachments;
    this.#joinedParent = null;
    this.#joinAcknowledged = false;
    if (rootAway && this.#roots.has(parent)) {
      // The root keeps its children in its graph: no Join, which would wait on it. (Lossless
      // extension: the edge waits for a new offer, made once a hello is answered.)
      core.lossless?.holdParent(parent);
      this.#tick();
      core.relayPendingHellos();
      return;
    }
    // The peer timeout runs from the probe, else the Join: a parent that is stopped (its socket
    // open, nothing answering) never acknowledges it, and the transport's ACK timeout may be
    // longer. (Root away: the parent may have dropped us as a silent child, hence the Join; the
    // wait for the root has no end.)
    if (!rootAway) this.#armFailureTimer();
    const lossless = core.lossless;
    if (lossless === undefined) {
      this.#join(parent, attachment);
      return;
    }
    // Lossless extension (10.1.2): the offer on a connection of its own, then the Join whatever
    // the outcome, then the outcome (so that the Digest follows the Join). A probe unanswered in
    // the ACK timeout is what a Join unanswered would be: the parent is unreachable (4). Not
    // waiting on the Join too keeps a stopped parent's cost to one ACK timeout, as before the
    // extension. The root is waited for instead (5.6.6): its edge stays negotiated, probed again
    // once a hello is answered.
    void lossless.probe(parent).then((outcome) => {
      if (!this.#isCurrent(attachment)) return;
      if (outcome === 'unanswered' && !this.#roots.has(parent)) {
        this.#fail('parent-unreachable');
        return;
      }
      this.#join(parent, attachment);
      lossless.negotiated(parent, outcome);
    });
  }

  #isCurrent(attachment: number): boolean {
    return attachment === this.#attachments && this.#state === 'attached' && !this.#closed;
  }

  #join(parent: string, attachment: number): void {
    const core = this.#core;
    void core.send(parent, { kind: 'join', source: core.self }).then((acknowledged) => {
      if (!this.#isCurrent(attachment)) return;
      // In the tree once a hello is answered through the parent (helloAnswered): the first one
      // goes now, right behind the Join.
      this.#joinAcknowledged = acknowledged;
      // A parent that took the Join is there: the hello's own peer timeout counts from now on.
      // One that did not keeps the Join's: the root, whose failed connection leaves us in place
      // (unreachable), is waited for one peer timeout from the Join, not from the Join's failure.
      if (acknowledged) this.#clearFailureTimer();
      this.#tick();
      core.relayPendingHellos();
    });
  }

  /** This peer's own hello came back: the path to the root works. */
  helloAnswered(packet: Packet, from: string): void {
    if (from !== this.#core.parent || this.#helloSentAt === null) {
      this.#core.drop('not-a-neighbour', packet, from);
      return;
    }
    const now = this.#clock.now();
    const roundTripMs = now - this.#helloSentAt;
    this.#helloSentAt = null;
    this.#rootRetryDelay = 0;
    this.#lastHelloAnsweredAt = now;
    this.#clearFailureTimer();
    if (this.#rootAway) {
      // The root is back and the tree as it was: nothing to ask it.
      this.#rootAway = false;
      this.#logger.info({ parent: from }, 'the root answers again: still under the same parent');
      this.#rootBack();
    }
    this.#events.emit('hello-answered', { roundTripMs });
    if (this.#joinedParent === null && this.#state === 'attached') {
      this.#joinedParent = from;
      this.#events.emit('joined', { parent: from });
    }
    this.#renegotiate();
  }

  /** The transport lost `remote`: if it is the parent, the cycle is broken. */
  unreachable(remote: string): void {
    if (remote !== this.#core.parent || this.#state !== 'attached') return;
    // A root that closed our connection may be restarting on the same store: keep trying to
    // reach it, and hand it the hellos it may have lost; the peer timeout still bounds the wait.
    // Any other parent that goes away is gone.
    if (this.#roots.has(remote)) {
      // Lossless extension (10.1.2 item 6a): the root may come back without our edge; Messages
      // for it wait for a new offer, made once a hello gets through.
      this.#core.lossless?.holdParent(remote);
      this.#reachRootAgain();
    } else this.#fail('parent-unreachable');
  }

  close(): void {
    this.#closed = true;
    this.#stopCycle();
    for (const timer of this.#drops.values()) this.#clock.clearTimeout(timer);
    this.#drops.clear();
  }

  /**
   * Drops the connection to a former parent one hello interval after its Leave was acknowledged,
   * not at once: a reference node's server loop dies (and never reads again) when a connection's
   * close reaches it in the turn right after the one that wrote its `ACK` (docs/interop.md).
   */
  #dropLater(previous: string): void {
    if (this.#closed) return;
    const earlier = this.#drops.get(previous);
    if (earlier !== undefined) this.#clock.clearTimeout(earlier);
    const timer = this.#clock.setTimeout(() => {
      this.#drops.delete(previous);
      const core = this.#core;
      // It may have become our parent again, or our child, in the meantime.
      if (previous !== core.parent && !this.#neighbours.isChild(previous))
        core.transport.disconnect(previous);
    }, this.#timings.helloInterval);
    this.#drops.set(previous, timer);
  }

  /**
   * The root, our parent, is unreachable (restarting, say): after a backoff, send the hello that
   * is outstanding again, and the hellos relayed for the nodes below, until one gets through.
   * With several roots each attempt goes to the next one: the parent follows the root that leads
   * now (a standby that took over has the tree, and us under the root, from the shared store).
   */
  #reachRootAgain(): void {
    if (this.#rootRetry !== undefined || this.#closed) return;
    const delay = Math.min(
      this.#timings.helloInterval,
      this.#rootRetryDelay === 0 ? this.#retryInitial : this.#rootRetryDelay * 2,
    );
    this.#rootRetryDelay = delay;
    this.#rootRetry = this.#clock.setTimeout(() => {
      this.#rootRetry = undefined;
      const core = this.#core;
      if (this.#state !== 'attached' || !this.#roots.has(core.parent)) return;
      if (this.#roots.count > 1) {
        // The root after the one we were under (a request may have moved the current one since).
        this.#roots.use(core.parent as string);
        const next = this.#roots.next();
        this.#neighbours.setParent(next, 'root unreachable');
        core.lossless?.holdParent(next);
      }
      if (this.#helloSentAt === null) {
        this.#relayAgain();
        return;
      }
      core.counters.hellosSent++;
      void core
        .send(this.#roots.current, { kind: 'reunion-hello', source: core.self, path: [core.self] })
        .then((sent) => {
          if (!sent) {
            this.#reachRootAgain();
            return;
          }
          this.#relayAgain();
          this.#renegotiate();
        });
    }, delay);
  }

  /** The parent edge waits for a new offer (the root came back): make it now. */
  #renegotiate(): void {
    const parent = this.#core.parent;
    const lossless = this.#core.lossless;
    if (parent === null || lossless === undefined || this.#state !== 'attached') return;
    if (this.#joinedParent !== null && lossless.isNegotiating(parent)) lossless.renegotiate(parent);
  }

  #relayAgain(): void {
    if (this.#state === 'attached') this.#core.relayPendingHellos();
  }

  /** Every hello interval: a hello to the parent, unless one is outstanding (5.6.1). */
  #tick(): void {
    if (this.#helloTimer !== undefined) this.#clock.clearTimeout(this.#helloTimer);
    this.#helloTimer = this.#clock.setTimeout(() => this.#tick(), this.#timings.helloInterval);
    const core = this.#core;
    const parent = core.parent;
    if (this.#state !== 'attached' || parent === null) return;
    if (this.#helloSentAt !== null) {
      // Root away: the hello is sent again every interval (the nodes below send theirs too), and
      // the Join before it: a parent in reunion failure when the first came dropped it.
      if (!this.#rootAway) return;
      if (!this.#roots.has(parent)) void core.send(parent, { kind: 'join', source: core.self });
    } else {
      // Our process stood still past the time a parent keeps a silent child: it has dropped us and
      // would drop this hello too (the root keeps its children: it re-attaches them by their hellos).
      if (this.#ownSilence.exceeded && !this.#roots.has(parent)) {
        this.#fail('timeout');
        return;
      }
      this.#helloSentAt = this.#clock.now();
      if (!this.#rootAway) this.#armFailureTimer();
    }
    core.counters.hellosSent++;
    void core.send(parent, { kind: 'reunion-hello', source: core.self, path: [core.self] });
  }

  /**
   * The peer timeout (5.6.6) from now, unless one already runs: a Join not acknowledged leaves
   * the attachment's deadline to the first hello.
   */
  #armFailureTimer(): void {
    if (this.#failureTimer !== undefined) return;
    this.#failureTimer = this.#clock.setTimeout(() => {
      this.#failureTimer = undefined;
      this.#fail('timeout');
    }, this.#timings.peerTimeout);
  }

  #clearFailureTimer(): void {
    if (this.#failureTimer !== undefined) this.#clock.clearTimeout(this.#failureTimer);
    this.#failureTimer = undefined;
  }

  #stopCycle(): void {
    if (this.#helloTimer !== undefined) this.#clock.clearTimeout(this.#helloTimer);
    if (this.#rootRetry !== undefined) this.#clock.clearTimeout(this.#rootRetry);
    this.#clearFailureTimer();
    this.#watch.stop();
    this.#helloTimer = undefined;
    this.#rootRetry = undefined;
    this.#rootRetryDelay = 0;
  }

  /** Reunion failure (5.6.6): drop the parent edge and re-advertise until the root answers. */
  #fail(reason: 'timeout' | 'parent-unreachable'): void {
    if (this.#state === 'failure' || this.#closed) return;
    const parent = this.#core.parent;
    this.#state = 'failure';
    this.#failReason = reason;
    this.#rootAway = false;
    this.#joinedParent = null;
    this.#joinAcknowledged = false;
    this.#helloSentAt = null;
    this.#formerParent = parent;
    this.#stopCycle();
    this.#logger.warn({ reason, parent }, 'reunion failure: asking the root for a new parent');
    this.#neighbours.setParent(null, reason);
    this.#events.emit('reunion-failure', { reason, parent });
    this.#readvertise();
  }
}
