import { type Frame, formatAddress, plainHost } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock } from '../clock.js';
import type { DropReason } from '../events.js';
import { RefusalLog } from './refusal-log.js';
import type { RemoteSocket } from './role.js';

export interface SourceCheckOptions {
  clock: Clock;
  logger: Logger;
  /**
   * Which packets are checked: `extension` (types 7 to 9: the peer's check) or `every` packet (the
   * root's: a packet's source is all it knows of who sent it, and a hello re-attaches nodes).
   */
  packets: 'extension' | 'every';
  /** Sources taken from any IP (a peer's roots). Default: none. */
  exempt?(address: string): boolean;
}

/**
 * The source-IP check (docs/protocol.md 10.1.2 item 8): a packet is taken only from the IP its
 * hop source claims. The root checks every packet; a peer only the lossless extension's (types 7
 * to 9). An offer or a Digest decides
 * what this node sends a neighbour (in a version-1 child's name, it would be sent Identified
 * Messages and Digests it cannot read), and an Identified Message can claim any origin and epoch (a
 * forged later epoch would make every node drop that origin's real Messages as stale). Only our
 * nodes send these types, so the check never meets a reference node's packet. Version-1 packets
 * are not checked, as version 1 asks, and neither are the root's: a root may send from another
 * address of its machine than the one it is dialled at (a service address, 0.0.0.0), and a peer
 * takes its root's word on its place anyway.
 *
 * An offer it would refuse is not answered either ({@link answersOffer}): a child whose connections
 * leave from another IP than the one it advertises (several interfaces, a NAT hairpin, a VPN) then
 * settles on version 1, whose packets are not checked, instead of holding a lossless edge its
 * parent refuses every packet of.
 */
const EXTENSION_KINDS: ReadonlySet<string> = new Set([
  'identified-message',
  'digest',
  'capabilities-offer',
  'capabilities-answer',
]);

export class SourceCheck {
  readonly #every: boolean;
  readonly #exempt: ((address: string) => boolean) | undefined;
  readonly #refusals: RefusalLog;

  constructor(options: SourceCheckOptions) {
    this.#every = options.packets === 'every';
    this.#exempt = options.exempt;
    this.#refusals = new RefusalLog(options.clock, options.logger);
  }

  /**
   * `spoofed-source` for a packet of the extension whose source IP is not the connection's. The
   * warning is logged once a minute per connection host at most ({@link RefusalLog}).
   */
  admit(frame: Frame, from: string, remote: RemoteSocket): DropReason | undefined {
    const kind = frame.kind;
    // The kind first: at a peer a plain Message, the bulk of version-1 traffic, costs one comparison.
    if (!this.#every && (kind === 'message' || !EXTENSION_KINDS.has(kind))) return undefined;
    if (this.#matches(frame, from, remote)) return undefined;
    this.#refusals.refused(from, remote.host, kind);
    return 'spoofed-source';
  }

  /** Whether a probe's `offer` from `remote` is answered: not if `admit` will refuse it. */
  answersOffer(offer: Frame, remote: RemoteSocket): boolean {
    return this.#matches(offer, formatAddress(offer.source), remote);
  }

  #matches(frame: Frame, from: string, remote: RemoteSocket): boolean {
    const claimed = frame.source.host;
    // An IPv4 connection's host as it is, before its IPv4-mapped form (a dual-stack server's).
    return (
      claimed === remote.host || claimed === plainHost(remote.host) || this.#exempt?.(from) === true
    );
  }
}
