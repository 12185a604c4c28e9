import { type Address, formatAddress, parseAddress } from '@p2p/codec';
import type { Hold } from './held-messages.js';
import { type DigestPacket, MAX_DIGEST_ENTRIES } from './lossless-packets.js';
import type { LosslessState } from './lossless-state.js';
import type { MessageFlood } from './message-flood.js';

/**
 * The Digest exchange (docs/protocol.md 10.1.3): this node's Digest, and the answer to a
 * neighbour's: what it lacks, from the cache and what was held for it, counted as a repair or an
 * inheritance; a parent's marks adopted by a fresh node. When an exchange happens is the edges'
 * business (`ParentEdge`, `ChildEdges`).
 */
export class DigestExchange {
  readonly #state: LosslessState;
  readonly #messages: MessageFlood<unknown>;

  constructor(state: LosslessState, messages: MessageFlood<unknown>) {
    this.#state = state;
    this.#messages = messages;
  }

  /** This node's Digest: its own run first, then the origins most recently heard of. */
  digest(fresh = false, held?: Hold): DigestPacket {
    const { self, selfKey, records, cache } = this.#state;
    const entries = [{ origin: self, epoch: this.#state.epoch, hwm: this.#messages.seq }];
    const byOrigin = new Map([[selfKey, entries[0] as (typeof entries)[number]]]);
    for (const { origin, epoch, hwm } of records.digest(MAX_DIGEST_ENTRIES - 1)) {
      const entry = { origin: parseAddress(origin), epoch, hwm };
      entries.push(entry);
      byOrigin.set(origin, entry);
    }
    // To a fresh child: what was held for it since its Join is not its past, so the marks stop
    // below it and the child delivers it when the exchange brings it (10.1.5). The cache's entries
    // since the hold began count too: one the hold refused (full) is not the child's past either.
    if (held !== undefined) {
      for (const list of [held.entries, cache.since(held.mark)]) {
        for (const message of list) {
          if (message.inherited) continue; // this node's own inheritance is the past for the child too
          const entry = byOrigin.get(message.origin);
          if (entry?.epoch === message.epoch && entry.hwm >= message.seq)
            entry.hwm = message.seq - 1;
        }
      }
    }
    return { kind: 'digest', source: self, fresh, entries };
  }

  /** A child's Digest answered: our Digest, then what it lacks, what was held for it first. */
  answer(child: string, packet: DigestPacket): void {
    const { holds, link } = this.#state;
    const hold = holds.take(child);
    link.send(child, this.digest(false, packet.fresh ? hold : undefined), 'digest');
    this.repair(packet, child, hold);
  }

  /** A fresh node takes its parent's marks as its own: none of the tree's past is delivered here. */
  adopt(packet: DigestPacket): void {
    const adopted = [];
    for (const { origin, epoch, hwm } of packet.entries) {
      const key = formatAddress(origin);
      if (key !== this.#state.selfKey) adopted.push({ origin: key, epoch, hwm });
    }
    this.#state.records.adopt(adopted);
  }

  /** Sends `from` what its Digest says it lacks, from the cache and what was held for it. */
  repair(packet: DigestPacket, from: string, hold?: Hold): void {
    const { repairs, cache, counters, link } = this.#state;
    // A fresh child gets what it lacks too: it delivers none of it (its marks are adopted from our
    // Digest, sent before this) but caches it, so a child of its own that missed these Messages can
    // be repaired from it later (10.1.5).
    if (!packet.fresh) repairs.remember(from, packet);
    const lacked = cache.missing({ fresh: false, entries: packet.entries }, hold?.entries);
    const addresses = new Map<string, Address>();
    for (const entry of lacked) {
      let origin = addresses.get(entry.origin);
      if (origin === undefined) {
        origin = this.#messages.address(entry.origin);
        addresses.set(entry.origin, origin);
      }
      // What was held for a fresh child since its Join it delivers: not an inheritance.
      if (packet.fresh && (hold === undefined || entry.serial <= hold.mark || entry.inherited))
        counters.inheritedOut++;
      else counters.repairedOut++;
      link.send(from, this.#messages.packet(entry, origin), 'repair');
    }
  }
}
