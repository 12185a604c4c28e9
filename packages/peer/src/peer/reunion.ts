import type { EventEmitter } from 'node:events';
import type { Packet, PacketKind } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock, TimerHandle } from '../clock.js';
import type { OwnNeighbours } from '../core/neighbours.js';
import type { TreeCore } from '../core/tree-core.js';
import type { DropReason, PeerEvents } from '../events.js';
import type { Timings } from '../timings.js';
import type { PeerSettings } from './options.js';
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
  readonly #watch: ParentWatch;
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
  /** The parent through which a hello was answered since the current attachment's Join, or null. */
  #joinedParent: string | null = null;
  /** The current attachment's Join was acknowledged (a parent refusing it acknowledges it too). */
  #joinAcknowledged = false;
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

  /** In reunion failure a peer handles nothing but the root's Advertise response (5.6.6). */
  admit(frame: { kind: PacketKind }): DropReason | undefined {
    return this.#state === 'failure' && frame.kind !== 'advertise-response'
      ? 'reunion-failure'
      : undefined;
  }

  /** Every packet sent with a promise: the parent's silence is watched on them. */
  sending(to: string, packet: Packet, acknowledged: Promise<boolean>): void {
    this.#watch.sending(to, packet, acknowledged);
  }

  /** The root placed this peer under `parent` (5.3.4): leave the old parent, join the new one. */
  attach(parent: string): void {
    const core = this.#core;
    const previous = core.parent ?? this.#formerParent;
    this.#formerParent = null;
    // The old parent edge goes (5.3.4): tell the old parent (Leave, so that it stops counting us
    // as a child), then drop the connection. Not the root: it moved us itself, and our connection
    // to it carries Register traffic (kept, and never held up by a Leave a reference root might
    // not acknowledge).
    if (previous !== null && previous !== parent && !this.#roots.has(previous)) {
      void core.send(previous, { kind: 'leave', source: core.self }).then(() => {
        // It may have become our parent again, or our child, in the meantime.
        if (previous !== core.parent && !this.#neighbours.isChild(previous))
          core.transport.disconnect(previous);
      });
    }
    if (this.#neighbours.isChild(parent)) core.removeChild(parent, 'became parent');
    // State first: listeners of the 'parent' event see the peer attached.
    this.#state = 'attached';
    this.#helloSentAt = null;
    this.#watch.attached();
    this.#neighbours.setParent(parent);
    this.#stopCycle();
    this.#logger.info({ parent, previous }, 'attached to parent');
    // The peer timeout runs from the probe, else the Join: a parent that is stopped (its socket
    // open, nothing answering) never acknowledges it, and the transport's ACK timeout is much longer.
    const attachment = ++this.#attachments;
    this.#failureTimer = this.#clock.setTimeout(
      () => this.#fail('timeout'),
      this.#timings.peerTimeout,
    );
    this.#joinedParent = null;
    this.#joinAcknowledged = false;
    const lossless = core.lossless;
    if (lossless === undefined) {
      this.#join(parent, attachment);
      return;
    }
    // Lossless extension (10.1.2): the offer on a connection of its own, then the Join whatever
    // the outcome, then the outcome (so that the Digest follows the Join).
    void lossless.probe(parent).then((capabilities) => {
      if (!this.#isCurrent(attachment)) return;
      this.#join(parent, attachment);
      lossless.negotiated(parent, capabilities);
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
      this.#clearFailureTimer();
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
    if (this.#state !== 'attached' || parent === null || this.#helloSentAt !== null) return;
    this.#helloSentAt = this.#clock.now();
    core.counters.hellosSent++;
    this.#failureTimer = this.#clock.setTimeout(
      () => this.#fail('timeout'),
      this.#timings.peerTimeout,
    );
    void core.send(parent, { kind: 'reunion-hello', source: core.self, path: [core.self] });
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
