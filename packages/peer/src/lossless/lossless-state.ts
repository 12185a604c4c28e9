import { type Address, formatAddress, parseAddress } from '@p2p/codec';
import type { Clock } from '../clock.js';
import { ChildNegotiations } from './child-negotiations.js';
import { EdgeModes } from './edge-modes.js';
import { DEFAULT_HOLD_LIMITS, HeldMessages, holdBounds } from './held-messages.js';
import type { LosslessCounters, LosslessInit, LosslessLink } from './lossless-link.js';
import type { LosslessOptions } from './lossless-options.js';
import { type CachedMessage, MessageCache } from './message-cache.js';
import { OriginRecords } from './origin-records.js';
import { RepairTally } from './repair-tally.js';

/**
 * What the parts of `Lossless` work on together, made once by it and never replaced (a part may
 * keep a member in a field of its own): this node, its link to the core, its edges and what waits
 * for them, its cache and records.
 */
export interface LosslessState<R = unknown> {
  readonly self: Address;
  /** `self` as 'HOST:PORT': the origin key of this node's own Messages. */
  readonly selfKey: string;
  /** This run's epoch. */
  readonly epoch: number;
  readonly clock: Clock;
  readonly link: LosslessLink<R>;
  readonly edges: EdgeModes;
  /**
   * What waits for each edge being negotiated (10.1.4): a child's until its Digest is answered
   * (deferred, until this fresh node's parent Digest or the bound of `DeferredDigests`) or the
   * bound of `children`, the parent's until the probe's outcome and, on a lossless edge, the
   * parent's Digest (the exchange sends what of it the parent lacks) or the bound of that wait
   * (`ParentEdge`). Until then every Message for that neighbour joins its hold, the edge lossless
   * or not: sent at once, it would overtake the hold, and the receiver, waiting for the numbers
   * before it, would skip them when its cache evicted it.
   */
  readonly holds: HeldMessages;
  /** Parent side: children whose Digest is awaited. */
  readonly children: ChildNegotiations;
  readonly cache: MessageCache;
  readonly records: OriginRecords;
  readonly repairs: RepairTally;
  readonly counters: LosslessCounters;
}

/**
 * The state of a node's extension, its bounds from `options`; `deliver` takes what the records
 * find in order, `childSilent` a child that sent no Digest within the bound.
 */
export function losslessState<R>(
  init: LosslessInit<R>,
  options: LosslessOptions,
  epoch: number,
  counters: LosslessCounters,
  on: { deliver: (message: CachedMessage) => void; childSilent: (child: string) => void },
): LosslessState<R> {
  const self = typeof init.self === 'string' ? parseAddress(init.self) : init.self;
  const { clock, link, timings } = init;
  const { cacheEntries, cacheBytes, cacheAge, maxOrigins, gapTimeout, window } = options;
  const records = new OriginRecords({
    clock,
    maxOrigins,
    forgetAfter: 2 * cacheAge,
    gapTimeout,
    deliver: on.deliver,
    onSkip: (_origin, count) => {
      counters.skipped += count;
    },
  });
  const cache = new MessageCache({
    clock,
    maxEntries: cacheEntries,
    maxBytes: cacheBytes,
    maxAge: cacheAge,
    onEvict: (origin, epoch, seq, serial) => records.release(origin, epoch, seq, serial),
  });
  const holdLimits = init.holdLimits ?? DEFAULT_HOLD_LIMITS;
  return {
    self,
    selfKey: formatAddress(self),
    epoch,
    clock,
    link,
    edges: new EdgeModes({ clock, window, offerLifetime: timings.peerTimeout }),
    holds: new HeldMessages(holdBounds(holdLimits, { messages: cacheEntries, bytes: cacheBytes })),
    // A child's Digest travels right behind its Join, or one round trip after its offer: a hello
    // interval is ample, and one that comes later still makes the edge lossless (ChildEdges.digest).
    children: new ChildNegotiations(clock, timings.helloInterval, on.childSilent),
    cache,
    records,
    repairs: new RepairTally(clock, gapTimeout),
    counters,
  };
}
