import { type Address, formatAddress, parseAddress } from '@p2p/codec';
import type { Clock } from '../clock.js';
import type { EdgeModes } from './edge-modes.js';
import type { HeldMessages, Hold } from './held-messages.js';
import type {
  LosslessCounters,
  LosslessLink,
  LosslessVerdict,
  SendPurpose,
} from './lossless-link.js';
import type { IdentifiedMessagePacket } from './lossless-packets.js';
import type { LosslessState } from './lossless-state.js';
import { type CachedMessage, cachedMessage, type MessageCache } from './message-cache.js';
import type { OriginRecords } from './origin-records.js';
import type { RepairTally } from './repair-tally.js';

/** What a forward returns: its sends are not listed (nothing may be added to this). */
const NOTHING_SENT: ReadonlyArray<never> = Object.freeze([]);

/**
 * The Messages through one node (docs/protocol.md 10.1): identifiers for what it originates or
 * gateways, Identified Messages received (the seen-set, delivery in each origin's order), each
 * flooded to every other neighbour in its edge's mode, and what was held for an edge sent on.
 * Everything here runs per Message per node: no allocation, closure or lookup more than needed.
 */
export class MessageFlood<R> {
  readonly #self: Address;
  readonly #selfKey: string;
  readonly #epoch: number;
  readonly #clock: Clock;
  readonly #link: LosslessLink<R>;
  readonly #edges: EdgeModes;
  readonly #holds: HeldMessages;
  readonly #cache: MessageCache;
  readonly #records: OriginRecords;
  readonly #repairs: RepairTally;
  readonly #counters: LosslessCounters;
  readonly #cacheAge: number;
  readonly #maxOrigins: number;
  /**
   * The one 'HOST:PORT' string per origin: each cache entry keeps its origin, and a string made
   * per received Message would survive with it (it outlives the young generation). Emptied when
   * it grows past `maxOrigins`.
   */
  readonly #originKeys = new Map<string, string>();
  #lastOrigin: { host: string; port: number; key: string } | undefined;
  #seq = 0;
  #lastOriginated: number | undefined;

  /**
   * `cacheAge`: a pause longer than this starts a new run of this node's numbers (the `start`
   * flag); `maxOrigins`: the most origin key strings kept (see `#originKeys`). The state's members
   * are copied into fields (the other parts keep the state): one load less each, per Message.
   */
  constructor(
    state: Omit<LosslessState<R>, 'children'>,
    limits: { cacheAge: number; maxOrigins: number },
  ) {
    this.#self = state.self;
    this.#selfKey = state.selfKey;
    this.#epoch = state.epoch;
    this.#clock = state.clock;
    this.#link = state.link;
    this.#edges = state.edges;
    this.#holds = state.holds;
    this.#cache = state.cache;
    this.#records = state.records;
    this.#repairs = state.repairs;
    this.#counters = state.counters;
    this.#cacheAge = limits.cacheAge;
    this.#maxOrigins = limits.maxOrigins;
  }

  /** The last number this node gave (its own run's high-water mark in its Digest). */
  get seq(): number {
    return this.#seq;
  }

  /** Numbers, caches and floods a Message of this node; the results of each send, by neighbour. */
  originate(text: string): { seq: number; sent: Array<{ to: string; result: R }> } {
    const entry = this.#identify(text, 'origin', null);
    return { seq: entry.seq, sent: this.flood(entry, this.#self, null, 'originate') };
  }

  /** A plain Message from a version-1 neighbour enters here: an identifier of ours (10.1.6). */
  gateway(text: string, from: string): void {
    const entry = this.#identify(text, 'gateway', from);
    this.#counters.gatewayed++;
    this.#link.deliver(text, null, from);
    this.flood(entry, this.#self, from, 'forward');
  }

  /**
   * An Identified Message from the neighbour `from`; `textBytes`, the UTF-8 length of its text
   * when the caller knows it (else it is counted).
   */
  receive(packet: IdentifiedMessagePacket, from: string, textBytes?: number): LosslessVerdict {
    const origin = this.#originKey(packet.origin);
    if (origin === this.#selfKey) {
      // Our own Message brought back (a repair): never delivered to ourselves.
      if (packet.epoch < this.#epoch) return 'stale-epoch';
      this.#counters.duplicates++;
      return 'duplicate';
    }
    const { epoch, seq, author, start, text } = packet;
    const entry = cachedMessage(origin, epoch, seq, author, start, text, from);
    const verdict = this.#records.receive(entry);
    if (verdict === 'stale') return 'stale-epoch';
    if (verdict === 'duplicate') {
      this.#counters.duplicates++;
      return 'duplicate';
    }
    if (verdict === 'inherited') entry.inherited = true;
    this.#cache.add(entry, textBytes);
    if (verdict === 'inherited') {
      // From before this node joined: kept for the repairs it may owe, never delivered (10.1.5).
      this.#counters.inheritedIn++;
      this.#passInheritance(entry, packet.origin, from);
      return 'inherited';
    }
    if (this.#repairs.isRepair(from, origin, epoch, seq)) this.#counters.repairedIn++;
    this.flood(entry, packet.origin, from, 'forward');
    return 'new';
  }

  /** Hands a Message the records found in order to the application. */
  deliver(message: CachedMessage): void {
    const origin = message.author === 'origin' ? message.origin : null;
    this.#link.deliver(message.text, origin, message.from ?? this.#selfKey);
  }

  /** Sends `entry` to every neighbour but `from`, each in its edge's mode. */
  flood(
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
      const mode = this.#edges.mode(to);
      if (mode === 'negotiating' || this.#holds.has(to)) {
        // Held for the outcome, then for the exchange (see `HeldMessages`); refused beyond the
        // hold's bound, as a full send queue refuses, and reported as such, forwarded or not.
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
      packet ??= this.packet(entry, origin);
      const result = this.#link.send(to, packet, purpose);
      sent?.push({ to, result });
    }
    return sent ?? (NOTHING_SENT as unknown as Array<{ to: string; result: R }>);
  }

  /** The Identified Message of `entry`, sent by this node. */
  packet(entry: CachedMessage, origin: Address): IdentifiedMessagePacket {
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

  /** The address of the origin key `origin` (this node's own without parsing). */
  address(origin: string): Address {
    return origin === this.#selfKey ? this.#self : parseAddress(origin);
  }

  /** What was held for the lossless neighbour `to`, to it as Identified Messages, in order. */
  sendHeld(to: string, hold: Hold): void {
    for (const entry of hold.entries)
      this.#link.send(to, this.packet(entry, this.address(entry.origin)), 'repair');
  }

  /**
   * What was held for the version-1 neighbour `to`, to it as plain Messages, in arrival order.
   * A hold never has what came from `to`, nor what was inherited (10.1.5: an inherited Message
   * goes only to lossless children, which can tell it from a new one; a plain one is delivered).
   */
  replayPlain(to: string, hold: Hold): void {
    for (const entry of hold.entries) this.#link.sendPlain(to, entry.text, 'replay');
  }

  /**
   * An inherited Message goes on to the lossless children only: one that joined while the
   * inheritance was on its way may lack it (it is then delivered there, a repair), a fresh one
   * inherits it in turn, the others drop it as a duplicate. Usually a fresh node has no child yet.
   */
  #passInheritance(entry: CachedMessage, origin: Address, from: string): void {
    let packet: IdentifiedMessagePacket | undefined;
    for (const to of this.#link.neighbours()) {
      if (to === from || this.#edges.role(to) !== 'child' || this.#edges.mode(to) !== 'lossless')
        continue;
      packet ??= this.packet(entry, origin);
      this.#link.send(to, packet, 'repair');
    }
  }

  /** An identifier of this node for `text`, in the cache. */
  #identify(text: string, author: 'origin' | 'gateway', from: string | null): CachedMessage {
    const now = this.#clock.now();
    const start = this.#lastOriginated === undefined || now - this.#lastOriginated > this.#cacheAge;
    this.#lastOriginated = now;
    const entry = cachedMessage(this.#selfKey, this.#epoch, ++this.#seq, author, start, text, from);
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
      if (this.#originKeys.size >= this.#maxOrigins) this.#originKeys.clear();
      this.#originKeys.set(made, made);
      key = made;
    }
    this.#lastOrigin = { host: address.host, port: address.port, key };
    return key;
  }
}
