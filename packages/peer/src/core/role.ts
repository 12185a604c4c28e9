import type { Address, Frame, Packet } from '@p2p/codec';
import type { DropReason } from '../events.js';
import type { TransportPacket } from '../transport.js';

/** The socket address a packet arrived from (not the node address in its header). */
export type RemoteSocket = TransportPacket['remote'];

/**
 * What a role (the peer, the root) decides for the tree core. The core runs the rules every node
 * shares and calls these where a role differs; every member is optional, with the default said.
 */
export interface TreeRole {
  /**
   * Before any rule: a drop reason refuses the frame (counted and reported as dropped); it is
   * seen by its header (`kind`, `source`), so that a Message's text is not decoded here.
   * Default: every packet is taken. (The peer in reunion failure takes only Advertise responses,
   * and with its source-IP check on refuses the lossless extension's packets whose source IP is not
   * the connection's; the root, with its check on, refuses every such packet.)
   */
  admit?(frame: Frame, from: string, remote: RemoteSocket): DropReason | undefined;
  /**
   * Whether the transport answers `offer`, a probe's Capabilities offer, first frame of a
   * connection from `remote` (10.1.2 item 3). A role whose `admit` will refuse the offer must
   * decline it: answered, the prober would take the edge as lossless while this node holds it as
   * version 1, and each would drop the other's Messages. Default: every offer is answered.
   */
  answersOffer?(offer: Frame, remote: RemoteSocket): boolean;
  /** Register and Advertise packets, for which the core has no rule. Default: dropped. */
  control?(packet: Packet, from: string, remote: RemoteSocket): void;
  /**
   * The top of the tree answers hellos instead of relaying them (5.6.3): the root. Without it the
   * core checks a hello from a child and relays it to the parent (5.6.2).
   */
  answerHello?(path: readonly Address[], packet: Packet, from: string): void;
  /** This node's own hello came back (its only entry is this node). Default: dropped. */
  helloAnswered?(packet: Packet, from: string): void;
  /** The transport lost `remote`; the core has already dropped it if it was a child. */
  unreachable?(remote: string, error: Error & { code?: string }): void;
  /**
   * Every packet the node sends with a promise (all but Messages, which are flooded), and whether its
   * receiver acknowledged it: the peer watches its parent's silence this way.
   */
  sending?(to: string, packet: Packet, acknowledged: Promise<boolean>): void;
}
