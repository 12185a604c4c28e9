import { type Address, formatAddress, parseAddress } from '@p2p/codec';
import type { Clock, TimerHandle } from '../clock.js';
import type { NeighbourRole } from '../events.js';
import { ChildNegotiations } from './child-negotiations.js';
import { type EdgeMode, EdgeModes } from './edge-modes.js';
import { DEFAULT_HOLD_LIMITS, HeldMessages, type Hold, holdBounds } from './held-messages.js';
import type {
  LosslessCounters,
  LosslessInit,
  LosslessLink,
  LosslessVerdict,
  PlainMessagePacket,
  SendPurpose,
} from './lossless-link.js';
import { type LosslessOptions, resolveLosslessOptions } from './lossless-options.js';
import {
  type DigestPacket,
  type IdentifiedMessagePacket,
  MAX_DIGEST_ENTRIES,
} from './lossless-packets.js';
import { type CachedMessage, cachedMessage, MessageCache } from './message-cache.js';
import { OriginRecords } from './origin-records.js';
import { RepairTally } from './repair-tally.js';

/** What a forward returns: its sends are not listed (nothing may be added to this). */
const NOTHING_SENT: ReadonlyArray<never> = Object.freeze([]);

/**
 * The lossless extension of one node (docs/protocol.md 10.1): identifiers for what it
 * originates or gateways, the seen-set and in-order delivery, the cache, the per-edge modes and the
 * digest exchange. It owns no socket: the tree core hands it what arrives and tells it when edges
 * change, and it answers through {@link LosslessLink}.
 *
 * Child side, per attachment: `onParentNegotiating` when the probe starts, then the Join, then
 * `onParentAnswered` or `onParentVersion1` (so the Digest follows the Join). Parent side:
 * `onOffer` for each offer, `onChildJoined` for each Join or child put back; the child's Digest
 * (or its silence) then decides the edge. Either side: `onEdgeGone` when a neighbour stops being one.
 */
export class Lossless<R = void> {
  readonly options: LosslessOptions;
  readonly epoch: number;
  readonly edges: EdgeModes;
  readonly counters: LosslessCounters = {
    duplicates: 0,
    skipped: 0,
    repairedIn: 0,
    repairedOut: 0,
    inheritedIn: 0,
    inheritedOut: 0,
    gatewayed: 0,
  };
  readonly #self: Address;
  readonly #selfKey: string;
  readonly #clock: Clock;
  readonly #link: LosslessLink<R>;
  readonly #cache: MessageCache;
  readonly #records: OriginRecords;
  readonly #repairs: RepairTally;
  /** Parent side: children whose Digest is awaited. */
  readonly #children: ChildNegotiations;
  /**
   * What waits for each edge being negotiated (10.1.4): a child's until its Digest is answered
   * (deferred, until this fresh node's parent Digest or `#deferralTimer`) or the bound of
   * `#children`, the parent's until the probe's outcome and, on a lossless edge, the parent's
   * Digest (the exchange sends what of it the parent lacks) or `#parentDigestWait`. Until then every Message for that neighbour joins its hold, the
   * edge lossless or not: sent at once, it would overtake the hold, and the receiver, waiting for
   * the numbers before it, would skip them when its cache evicted it.
   */
  readonly #holds: HeldMessages;
  /**
   * Plain Messages from the parent while its edge is being negotiated: delivered (as from a
   * version-1 neighbour) if the outcome is version 1, dropped if lossless (the exchange brings
   * them). Bounded by the cache's entry limit.
   */
  #plainWhileNegotiating: { parent: string; texts: string[] } | undefined;
  /**
   * The one 'HOST:PORT' string per origin: each cache entry keeps its origin, and a string made
   * per received Message would survive with it (it outlives the young generation). Emptied when
   * it grows past `maxOrigins`.
   */
  readonly #originKeys = new Map<string, string>();
  #lastOrigin: { host: string; port: number; key: string } | undefined;
  /**
   * Whether this node is still owed none of the tree's past: true from the start (a peer) until its
   * parent edge settled, by a parent Digest adopted or by a Message delivered from a version-1
   * parent (10.1.5). A parent edge that goes before either keeps it (the node has been sent
   * nothing, and says `F` under its next parent).
   */
  #fresh: boolean;
  /** The parent edge's neighbour, from its negotiation until it goes. */
  #parent: string | undefined;
  /**
   * Children's Digests a fresh node has not answered yet, while its parent edge is being negotiated
   * or awaits the parent's Digest: answered once that Digest is adopted, or the parent edge is
   * version 1 or gone (10.1.5), or at most one hello interval after the first was deferred
   * (`#deferralTimer`). Answered at once, the child would send what it caches, and with no marks
   * adopted this node would take the tree's past as new.
   */
  readonly #deferredDigests = new Map<string, DigestPacket>();
  /**
   * The bound on deferring: a parent edge that does not settle (the root away, or answering hellos
   * but no probe) would otherwise leave the children with nothing through this node. Past it the
   * deferral is over (`#deferralOver`) until the parent edge goes: this node answers as one no
   * longer fresh would, and may deliver some of the past a returning child sends (10.1.5).
   */
  #deferralTimer: TimerHandle | undefined;
  #deferralOver = false;
  /**
   * Parent side: for each child whose Digest did not come within the bound, the cache's mark when
   * its hold began. A Digest that comes later still (10.1.2 item 5) means the child dropped the
   * plain copies sent meanwhile: to a fresh child they are not its past, so its hold starts again
   * from that mark (`digest`). Forgotten with the child, or when it turns out version 1.
   */
  #silentSince: Map<string, number> | undefined;
  /**
   * Child side: the wait for the parent's Digest while the parent's hold is not empty, from the
   * probe's outcome on, bounded by the hello interval (#awaitParentDigest).
   */
  #parentDigestWait: { parent: string; timer: TimerHandle } | undefined;
  readonly #helloInterval: number;
  #seq = 0;
  #lastOriginated: number | undefined;

  constructor(init: LosslessInit<R>) {
    this.options = resolveLosslessOptions(init.timings, init.options);
    this.#self = typeof init.self === 'string' ? parseAddress(init.self) : init.self;
    this.#selfKey = formatAddress(this.#self);
    this.#clock = init.clock;
    this.#link = init.link;
    this.epoch = init.epoch ?? Date.now();
    this.#fresh = init.fresh ?? true;
    this.#helloInterval = init.timings.helloInterval;
    const { cacheEntries, cacheBytes, cacheAge, maxOrigins, gapTimeout, window } = this.options;
    this.#records = new OriginRecords({
      clock: this.#clock,
      maxOrigins,
      forgetAfter: 2 * cacheAge,
      gapTimeout,
      deliver: (message) => this.#deliver(message),
      onSkip: (_origin, count) => {
        this.counters.skipped += count;
      },
    });
    this.#cache = new MessageCache({
      clock: this.#clock,
      maxEntries: cacheEntries,
      maxBytes: cacheBytes,
      maxAge: cacheAge,
      onEvict: (origin, epoch, seq, serial) => this.#records.release(origin, epoch, seq, serial),
    });
    this.edges = new EdgeModes({
      clock: this.#clock,
      window,
      offerLifetime: init.timings.peerTimeout,
    });
    this.#repairs = new RepairTally(this.#clock, gapTimeout);
    // A child's Digest travels right behind its Join, or one round trip after its offer: a hello
    // interval is ample, and one that comes later still makes the edge lossless (onDigest).
    this.#children = new ChildNegotiations(this.#clock, init.timings.helloInterval, (child) => {
      const mark = this.#childVersion1(child);
      if (mark === undefined) return;
      this.#silentSince ??= new Map();
      this.#silentSince.set(child, mark);
    });
    this.#holds = new HeldMessages(
      holdBounds(init.holdLimits ?? DEFAULT_HOLD_LIMITS, {
        messages: cacheEntries,
        bytes: cacheBytes,
      }),
    );
  }

  /** Whether this node is a peer on its first attachment (its Digest says `F`). */
  get fresh(): boolean {
    return this.#fresh;
  }

  /** What the cache and the records hold now, for metrics. */
  get usage(): { cachedMessages: number; cachedBytes: number; origins: number } {
    return {
      cachedMessages: this.#cache.size,
      cachedBytes: this.#cache.bytes,
      origins: this.#records.size,
    };
  }

  /** How a Message goes to `neighbour` now. */
  forwardPlan(neighbour: string): 'identified' | 'plain' | 'hold' {
    const mode = this.edges.mode(neighbour);
    return mode === 'lossless' ? 'identified' : mode === 'v1' ? 'plain' : 'hold';
  }

  /** Numbers, caches and floods a Message of this node; the results of each send, by neighbour. */
  originate(text: string): { seq: number; sent: Array<{ to: string; result: R }> } {
    const entry = this.#originate(text, 'origin', null);
    return { seq: entry.seq, sent: this.#flood(entry, this.#self, null, 'originate') };
  }

  /**
   * A packet of the extension, or a plain Message, from the neighbour `from`; `textBytes`, the
   * UTF-8 length of an Identified Message's text when the caller knows it (else it is counted).
   */
  receive(
    packet: IdentifiedMessagePacket | DigestPacket | PlainMessagePacket,
    from: string,
    textBytes?: number,
  ): LosslessVerdict {
    switch (packet.kind) {
      case 'identified-message':
        return this.#onIdentified(packet, from, textBytes);
      case 'digest':
        return this.#onDigest(packet, from);
      case 'message':
        return this.#onPlain(packet.text, from);
    }
  }

  /**
   * The edge to `neighbour` is (again) lossless: raise its window and send it this node's Digest
   * (to a parent: once the Join is sent; to a child: in answer to its Digest).
   */
  onEdgeLossless(neighbour: string, role: NeighbourRole, theirWindow?: number): void {
    this.#edgeLossless(neighbour, role, theirWindow);
    // A child's Digest a fresh node defers is answered later (#answerDeferred).
    if (role === 'child' && this.#defersChildDigests()) return;
    const fresh = role === 'parent' && this.#fresh;
    this.#link.send(neighbour, this.digest(fresh), 'digest');
  }

  /**
   * The edge to `neighbour` is (again) lossless: its window raised; no Digest sent. Its hold stays
   * until the exchange sends it (see `#holds`), unless it is the parent's and empty.
   */
  #edgeLossless(neighbour: string, role: NeighbourRole, theirWindow?: number): void {
    if (role === 'parent') this.#parent = neighbour;
    this.#children.end(neighbour);
    // The child's hold for its parent waits for the parent's Digest, but an empty one has nothing
    // for later Messages to keep order behind: they go at once, and the exchange repairs from the
    // cache as on any edge (a broadcast right after the Join is not held a round trip longer).
    if (role === 'parent') this.#holds.dropEmpty(neighbour);
    this.edges.set(neighbour, role, 'lossless', theirWindow);
    this.#takePlainHeld(neighbour); // the exchange that starts now brings them
    this.#link.setWindow(neighbour, this.edges.window(neighbour));
    if (role === 'parent' && this.#holds.has(neighbour)) this.#awaitParentDigest(neighbour);
  }

  /** Child side: a probe of `parent` starts; Messages for it are held until the outcome. */
  onParentNegotiating(parent: string): void {
    this.#stopAwaitingParentDigest(); // the hold waits for the new outcome first
    this.#parent = parent;
    this.edges.set(parent, 'parent', 'negotiating');
    this.#link.setWindow(parent, undefined);
    this.#holds.start(parent, 'parent', this.#cache.mark());
  }

  /** Child side: the parent answered the offer with these capabilities. */
  onParentAnswered(parent: string, capabilities: Record<string, number>): void {
    if (capabilities.ids !== 1) {
      this.onParentVersion1(parent);
      return;
    }
    const theirWindow = capabilities.window ?? 1;
    if (this.edges.mode(parent) === 'lossless') {
      // Its Digest came first and made the edge lossless: the exchange is done, only the window is new.
      this.edges.set(parent, 'parent', 'lossless', theirWindow);
      this.#link.setWindow(parent, this.edges.window(parent));
      return;
    }
    this.onEdgeLossless(parent, 'parent', theirWindow);
  }

  /**
   * Child side: the parent acknowledged the offer without an answer, closed or ignored the probe.
   * What waited for it during the negotiation goes to it now, as plain Messages in arrival order.
   */
  onParentVersion1(parent: string): void {
    const held = this.#takePlainHeld(parent);
    if (this.edges.mode(parent) === 'lossless') return; // its Digest proved it ours
    this.#parent = parent;
    this.edges.set(parent, 'parent', 'v1');
    this.#link.setWindow(parent, undefined);
    const hold = this.#holds.take(parent);
    if (hold !== undefined) this.#replayPlain(parent, hold);
    // What a version-1 parent flooded while we asked: plain Messages, as they would have been.
    for (const text of held) this.#gateway(text, parent);
    // No parent Digest will come: the children's wait here ends.
    this.#stopDeferralTimer();
    this.#answerDeferred();
  }

  /**
   * Parent side: an offer from `from`, answered by the transport. Remembered for its Join; from a
   * current child not on a lossless edge, that edge waits for the child's Digest (10.1.2 item 5).
   */
  onOffer(
    from: string,
    capabilities: Record<string, number>,
  ): 'negotiating' | 'lossless' | 'remembered' | 'ignored' {
    if (capabilities.ids !== 1) return 'ignored';
    const outcome = this.edges.offered(from, capabilities.window ?? 1);
    if (outcome === 'negotiating') this.#childNegotiating(from);
    return outcome;
  }

  /**
   * Parent side: `child` joined, or was put back from the root's graph. If it offered, the edge
   * waits for its Digest (which only a child that found the extension sends); else version 1.
   */
  onChildJoined(child: string): EdgeMode {
    const mode = this.edges.childJoined(child);
    if (mode === 'negotiating') this.#childNegotiating(child);
    else if (mode === 'v1') this.#childVersion1(child);
    return mode;
  }

  /** `neighbour` is no longer one: its mode and window are forgotten. */
  onEdgeGone(neighbour: string): void {
    // A fresh node stays fresh: its parent edge went before it was sent anything (#fresh).
    const parentGone = this.#parent === neighbour;
    if (parentGone) {
      this.#parent = undefined;
      this.#stopAwaitingParentDigest();
      this.#stopDeferralTimer();
      this.#deferralOver = false; // the next parent edge gets a bound of its own
    }
    this.#deferredDigests.delete(neighbour);
    this.#silentSince?.delete(neighbour);
    this.edges.forget(neighbour);
    this.#children.end(neighbour);
    this.#holds.take(neighbour);
    this.#takePlainHeld(neighbour);
    this.#repairs.forget(neighbour);
    this.#link.setWindow(neighbour, undefined);
    // No parent Digest will come for the children waiting here: they are answered now.
    if (parentGone) this.#answerDeferred();
  }

  /** This node's Digest: its own run first, then the origins most recently heard of. */
  digest(fresh = false, held?: Hold): DigestPacket {
    const entries = [{ origin: this.#self, epoch: this.epoch, hwm: this.#seq }];
    const byOrigin = new Map([[this.#selfKey, entries[0] as (typeof entries)[number]]]);
    for (const { origin, epoch, hwm } of this.#records.digest(MAX_DIGEST_ENTRIES - 1)) {
      const entry = { origin: parseAddress(origin), epoch, hwm };
      entries.push(entry);
      byOrigin.set(origin, entry);
    }
    // To a fresh child: what was held for it since its Join is not its past, so the marks stop
    // below it and the child delivers it when the exchange brings it (10.1.5). The cache's entries
    // since the hold began count too: one the hold refused (full) is not the child's past either.
    if (held !== undefined) {
      for (const list of [held.entries, this.#cache.since(held.mark)]) {
        for (const message of list) {
          if (message.inherited) continue; // this node's own inheritance is the past for the child too
          const entry = byOrigin.get(message.origin);
          if (entry?.epoch === message.epoch && entry.hwm >= message.seq)
            entry.hwm = message.seq - 1;
        }
      }
    }
    return { kind: 'digest', source: this.#self, fresh, entries };
  }

  /** Stops the timers (cache age, gaps, repair tally). */
  close(): void {
    this.#cache.close();
    this.#records.close();
    this.#repairs.close();
    this.#children.close();
    this.#stopAwaitingParentDigest();
    this.#stopDeferralTimer();
  }

  #onIdentified(
    packet: IdentifiedMessagePacket,
    from: string,
    textBytes?: number,
  ): LosslessVerdict {
    const origin = this.#originKey(packet.origin);
    if (origin === this.#selfKey) {
      // Our own Message brought back (a repair): never delivered to ourselves.
      if (packet.epoch < this.epoch) return 'stale-epoch';
      this.counters.duplicates++;
      return 'duplicate';
    }
    const { epoch, seq, author, start, text } = packet;
    const entry = cachedMessage(origin, epoch, seq, author, start, text, from);
    const verdict = this.#records.receive(entry);
    if (verdict === 'stale') return 'stale-epoch';
    if (verdict === 'duplicate') {
      this.counters.duplicates++;
      return 'duplicate';
    }
    if (verdict === 'inherited') entry.inherited = true;
    this.#cache.add(entry, textBytes);
    if (verdict === 'inherited') {
      // From before this node joined: kept for the repairs it may owe, never delivered (10.1.5).
      this.counters.inheritedIn++;
      this.#passInheritance(entry, packet.origin, from);
      return 'inherited';
    }
    if (this.#repairs.isRepair(from, origin, epoch, seq)) this.counters.repairedIn++;
    this.#flood(entry, packet.origin, from, 'forward');
    return 'new';
  }

  #onDigest(packet: DigestPacket, from: string): LosslessVerdict {
    const role = this.edges.role(from) ?? 'child';
    const mode = this.edges.mode(from);
    let hold: Hold | undefined;
    if (role === 'child') {
      // The child found the extension (only our nodes send Digests): the edge is lossless,
      // whatever we held it to be, and our Digest answers its own.
      const silentSince = this.#silentSince?.get(from);
      if (silentSince !== undefined) {
        this.#silentSince?.delete(from);
        // Late: what went plain since its hold began the child dropped (#silentSince).
        if (mode === 'v1') this.#holds.start(from, 'child', silentSince);
      }
      if (mode !== 'lossless') this.#edgeLossless(from, role);
      if (this.#defersChildDigests()) {
        // Answered once this fresh node has its parent's marks (#deferredDigests); its hold
        // takes what comes for it until then.
        this.#deferredDigests.set(from, packet);
        this.#boundDeferral();
        return 'digest';
      }
      hold = this.#holds.take(from);
      this.#link.send(from, this.digest(false, packet.fresh ? hold : undefined), 'digest');
    } else {
      // An answer to a Digest of an earlier exchange, after we settled on version 1 (and maybe
      // replayed plain Messages, which the parent took as version 1): taking it now would
      // send those Messages a second time, under their own identifiers.
      if (mode === 'v1') return 'digest';
      // The parent's answer to our Digest, ahead of our probe's outcome.
      if (mode === 'negotiating') this.onEdgeLossless(from, role);
      hold = this.#holds.take(from); // what waited for the parent goes by this exchange
      this.#stopAwaitingParentDigest();
    }
    if (this.#fresh && role === 'parent') {
      this.#fresh = false;
      const adopted = [];
      for (const { origin, epoch, hwm } of packet.entries) {
        const key = formatAddress(origin);
        if (key !== this.#selfKey) adopted.push({ origin: key, epoch, hwm });
      }
      this.#records.adopt(adopted);
      this.#stopDeferralTimer();
      this.#answerDeferred();
    }
    this.#repairFor(packet, from, hold);
    return 'digest';
  }

  /** Sends `from` what its Digest says it lacks, from the cache and what was held for it. */
  #repairFor(packet: DigestPacket, from: string, hold?: Hold): void {
    // A fresh child gets what it lacks too: it delivers none of it (its marks are adopted from our
    // Digest, sent before this) but caches it, so a child of its own that missed these Messages can
    // be repaired from it later (10.1.5).
    if (!packet.fresh) this.#repairs.remember(from, packet);
    const lacked = this.#cache.missing({ fresh: false, entries: packet.entries }, hold?.entries);
    const addresses = new Map<string, Address>();
    for (const entry of lacked) {
      let origin = addresses.get(entry.origin);
      if (origin === undefined) {
        origin = entry.origin === this.#selfKey ? this.#self : parseAddress(entry.origin);
        addresses.set(entry.origin, origin);
      }
      // What was held for a fresh child since its Join it delivers: not an inheritance.
      if (packet.fresh && (hold === undefined || entry.serial <= hold.mark || entry.inherited))
        this.counters.inheritedOut++;
      else this.counters.repairedOut++;
      this.#link.send(from, this.#packet(entry, origin), 'repair');
    }
  }

  /**
   * Whether a child's Digest waits (10.1.5): this node is fresh and its parent edge is being
   * negotiated, or lossless with the parent's Digest not in yet.
   */
  #defersChildDigests(): boolean {
    return (
      this.#fresh &&
      !this.#deferralOver &&
      this.#parent !== undefined &&
      this.edges.mode(this.#parent) !== 'v1'
    );
  }

  /** Starts the bound on deferring children's Digests (`#deferralTimer`) if it is not running. */
  #boundDeferral(): void {
    if (this.#deferralTimer !== undefined) return;
    this.#deferralTimer = this.#clock.setTimeout(() => {
      this.#deferralTimer = undefined;
      // Every Digest deferred went (its child left): a later one gets a bound of its own.
      if (this.#deferredDigests.size === 0) return;
      this.#deferralOver = true;
      this.#answerDeferred();
    }, this.#helloInterval);
  }

  #stopDeferralTimer(): void {
    if (this.#deferralTimer === undefined) return;
    this.#clock.clearTimeout(this.#deferralTimer);
    this.#deferralTimer = undefined;
  }

  /** The children's Digests deferred so far, answered now (our Digest, then what each lacks). */
  #answerDeferred(): void {
    if (this.#deferredDigests.size === 0 || this.#defersChildDigests()) return;
    const deferred = [...this.#deferredDigests];
    this.#deferredDigests.clear();
    for (const [child, packet] of deferred) {
      if (this.edges.role(child) !== 'child' || this.edges.mode(child) !== 'lossless') continue;
      const hold = this.#holds.take(child);
      this.#link.send(child, this.digest(false, packet.fresh ? hold : undefined), 'digest');
      this.#repairFor(packet, child, hold);
    }
  }

  #onPlain(text: string, from: string): LosslessVerdict {
    const mode = this.edges.mode(from);
    if (this.edges.role(from) === 'parent' && mode === 'lossless') {
      // The parent lost its state (it restarted); the exchange after renegotiating brings this.
      this.onParentNegotiating(from);
      this.#link.renegotiate(from);
      return 'plain-on-lossless-edge';
    }
    if (this.edges.role(from) === 'parent' && mode === 'negotiating') {
      // Kept until the probe's outcome: a version-1 parent (a reference or extension-off root that
      // floods to a child it placed before the child's Join) would otherwise lose it for good.
      let held = this.#plainWhileNegotiating;
      if (held?.parent !== from) {
        held = { parent: from, texts: [] };
        this.#plainWhileNegotiating = held;
      }
      if (held.texts.length >= this.options.cacheEntries) return 'plain-on-lossless-edge';
      held.texts.push(text);
      return 'held';
    }
    if (mode !== 'v1') {
      // A child that offered but sends plain Messages found no extension (its probe failed), or
      // came back without it: version 1, and what waited for it (its Digest awaited or deferred)
      // goes now.
      this.#deferredDigests.delete(from);
      this.#childVersion1(from);
    }
    if (this.edges.role(from) === 'child') this.#silentSince?.delete(from); // version 1 for sure
    this.#gateway(text, from);
    return 'new';
  }

  /**
   * Parent side: `child` is version 1 (its Join came without an offer, or it sent no Digest,
   * 10.1.2 item 5), and what was held for it goes plain; the mark its hold began at, if any.
   */
  #childVersion1(child: string): number | undefined {
    this.#children.end(child);
    this.edges.set(child, 'child', 'v1');
    this.#link.setWindow(child, undefined);
    const hold = this.#holds.take(child);
    if (hold !== undefined) this.#replayPlain(child, hold);
    return hold?.mark;
  }

  /**
   * What was held for the version-1 neighbour `to`, to it as plain Messages, in arrival order.
   * A hold never has what came from `to`, nor what was inherited (10.1.5: an inherited Message
   * goes only to lossless children, which can tell it from a new one; a plain one is delivered).
   */
  #replayPlain(to: string, hold: Hold): void {
    for (const entry of hold.entries) this.#link.sendPlain(to, entry.text, 'replay');
  }

  /**
   * Parent side: `child`'s edge waits for its Digest; Messages for it are held. A child whose
   * Digest was late offers again (it dropped a plain copy on its lossless edge): its hold goes on
   * from where the late one began (#silentSince).
   */
  #childNegotiating(child: string): void {
    this.#link.setWindow(child, undefined);
    this.#children.start(child);
    const since = this.#silentSince?.get(child);
    this.#silentSince?.delete(child);
    this.#holds.start(child, 'child', since ?? this.#cache.mark());
  }

  /** A plain Message from a version-1 neighbour enters here: an identifier of ours (10.1.6). */
  #gateway(text: string, from: string): void {
    // Delivered from a version-1 parent: in the tree now, owed repairs from here on (#fresh).
    if (from === this.#parent) this.#fresh = false;
    const entry = this.#originate(text, 'gateway', from);
    this.counters.gatewayed++;
    this.#link.deliver(text, null, from);
    this.#flood(entry, this.#self, from, 'forward');
  }

  /**
   * An inherited Message goes on to the lossless children only: one that joined while the
   * inheritance was on its way may lack it (it is then delivered there, a repair), a fresh one
   * inherits it in turn, the others drop it as a duplicate. Usually a fresh node has no child yet.
   */
  #passInheritance(entry: CachedMessage, origin: Address, from: string): void {
    let packet: IdentifiedMessagePacket | undefined;
    for (const to of this.#link.neighbours()) {
      if (to === from || this.edges.role(to) !== 'child' || this.edges.mode(to) !== 'lossless')
        continue;
      packet ??= this.#packet(entry, origin);
      this.#link.send(to, packet, 'repair');
    }
  }

  /**
   * Child side: the parent edge is lossless and its hold not empty; the hold waits for the
   * parent's Digest, but at most one hello interval (the bound a parent gives a child's Digest,
   * `#children`): that Digest can be lost (a full queue refuses it), and every Message for the
   * parent would join the hold, then be refused, for as long as the edge lasts. Past the bound
   * the hold goes to the parent as the edge's Identified Messages, in order; the parent drops
   * what it has already (its seen-set), and a Digest that still comes repairs from the cache.
   */
  #awaitParentDigest(parent: string): void {
    this.#stopAwaitingParentDigest();
    const timer = this.#clock.setTimeout(() => {
      this.#parentDigestWait = undefined;
      if (this.#parent !== parent || this.edges.mode(parent) !== 'lossless') return;
      const hold = this.#holds.take(parent);
      if (hold !== undefined) this.#sendHeld(parent, hold);
    }, this.#helloInterval);
    this.#parentDigestWait = { parent, timer };
  }

  #stopAwaitingParentDigest(): void {
    const wait = this.#parentDigestWait;
    if (wait === undefined) return;
    this.#clock.clearTimeout(wait.timer);
    this.#parentDigestWait = undefined;
  }

  /** What was held for the lossless neighbour `to`, to it as Identified Messages, in order. */
  #sendHeld(to: string, hold: Hold): void {
    for (const entry of hold.entries) {
      const origin = entry.origin === this.#selfKey ? this.#self : parseAddress(entry.origin);
      this.#link.send(to, this.#packet(entry, origin), 'repair');
    }
  }

  /** The plain Messages held for `parent`'s negotiation, now forgotten here. */
  #takePlainHeld(parent: string): string[] {
    const held = this.#plainWhileNegotiating;
    if (held?.parent !== parent) return [];
    this.#plainWhileNegotiating = undefined;
    return held.texts;
  }

  /** An identifier of this node for `text`, in the cache. */
  #originate(text: string, author: 'origin' | 'gateway', from: string | null): CachedMessage {
    const now = this.#clock.now();
    const start =
      this.#lastOriginated === undefined || now - this.#lastOriginated > this.options.cacheAge;
    this.#lastOriginated = now;
    const entry = cachedMessage(this.#selfKey, this.epoch, ++this.#seq, author, start, text, from);
    this.#cache.add(entry);
    return entry;
  }

  /** The one key string of `address` as an origin (see `#originKeys`). */
  #originKey(address: Address): string {
    const last = this.#lastOrigin;
    // A burst from one origin: no string made at all.
    if (last !== undefined && last.port === address.port && last.host === address.host)
      return last.key;
    const made = formatAddress(address);
    let key = this.#originKeys.get(made);
    if (key === undefined) {
      if (this.#originKeys.size >= this.options.maxOrigins) this.#originKeys.clear();
      this.#originKeys.set(made, made);
      key = made;
    }
    this.#lastOrigin = { host: address.host, port: address.port, key };
    return key;
  }

  /** Sends `entry` to every neighbour but `from`, each in its edge's mode. */
  #flood(
    entry: CachedMessage,
    origin: Address,
    from: string | null,
    purpose: SendPurpose,
  ): Array<{ to: string; result: R }> {
    // Only an originated Message reports its sends: a forward makes no list per Message.
    const sent: Array<{ to: string; result: R }> | undefined =
      purpose === 'originate' ? [] : undefined;
    let packet: IdentifiedMessagePacket | undefined;
    for (const to of this.#link.neighbours()) {
      if (to === from) continue;
      const mode = this.edges.mode(to);
      if (mode === 'negotiating' || this.#holds.has(to)) {
        // Held for the outcome, then for the exchange (`#holds`); refused beyond the hold's
        // bound, as a full send queue refuses, and reported as such, forwarded or not.
        if (!this.#holds.add(to, entry)) {
          const result = this.#link.holdFull(to, purpose);
          sent?.push({ to, result });
        }
        continue;
      }
      if (mode === 'v1') {
        const result = this.#link.sendPlain(to, entry.text, purpose);
        sent?.push({ to, result });
        continue;
      }
      packet ??= this.#packet(entry, origin);
      const result = this.#link.send(to, packet, purpose);
      sent?.push({ to, result });
    }
    return sent ?? (NOTHING_SENT as unknown as Array<{ to: string; result: R }>);
  }

  #packet(entry: CachedMessage, origin: Address): IdentifiedMessagePacket {
    const { author, start, epoch, seq, text } = entry;
    return {
      kind: 'identified-message',
      source: this.#self,
      author,
      start,
      origin,
      epoch,
      seq,
      text,
    };
  }

  #deliver(message: CachedMessage): void {
    const origin = message.author === 'origin' ? message.origin : null;
    this.#link.deliver(message.text, origin, message.from ?? this.#selfKey);
  }
}
