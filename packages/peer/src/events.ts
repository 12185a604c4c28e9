import type { PacketKind } from '@p2p/codec';

/** Why a node dropped a packet that decoded fine (protocol.md section 4: ACKed, then dropped). */
export type DropReason =
  | 'not-a-neighbour'
  | 'not-from-root'
  | 'not-addressed-to-us'
  | 'reunion-failure'
  | 'no-parent'
  | 'unexpected-kind'
  | 'forged-path'
  | 'path-loop'
  | 'path-too-long'
  | 'join-refused'
  | 'send-failed'
  | 'not-registered'
  | 'address-mismatch'
  | 'stale-path'
  | 'rate-limited'
  | 'spoofed-source'
  | 'registry-full'
  | 'store-failed'
  | 'too-large-for-neighbour'
  /** Lossless extension: an Identified Message already seen. */
  | 'duplicate'
  /** Lossless extension: an Identified Message of an earlier run of its origin. */
  | 'stale-epoch'
  /** Lossless extension: a plain Message from a parent whose edge is lossless or being negotiated. */
  | 'plain-on-lossless-edge'
  /** A packet of the lossless extension (types 7 to 9) at a node that has it turned off. */
  | 'extension-off';

export const dropReasons: readonly DropReason[] = [
  'not-a-neighbour',
  'not-from-root',
  'not-addressed-to-us',
  'reunion-failure',
  'no-parent',
  'unexpected-kind',
  'forged-path',
  'path-loop',
  'path-too-long',
  'join-refused',
  'send-failed',
  'not-registered',
  'address-mismatch',
  'stale-path',
  'rate-limited',
  'spoofed-source',
  'registry-full',
  'store-failed',
  'too-large-for-neighbour',
  'duplicate',
  'stale-epoch',
  'plain-on-lossless-edge',
  'extension-off',
];

export type NeighbourRole = 'parent' | 'child';

/** Events of every tree node, the root included. Addresses are 'HOST:PORT' strings. */
export type TreeNodeEvents = {
  /**
   * A Message delivered to this node's user: `from` the neighbour it came through, `origin` the
   * node that wrote it when known (lossless extension), else null.
   */
  message: [{ text: string; from: string; origin: string | null }];
  'neighbour-added': [{ neighbour: string; role: NeighbourRole }];
  'neighbour-removed': [{ neighbour: string; role: NeighbourRole; reason: string }];
  /** The parent changed (null: none). */
  parent: [{ parent: string | null; previous: string | null }];
  dropped: [{ reason: DropReason; kind: PacketKind; from: string }];
};

/** Extra events of the peer role. */
export type PeerEvents = TreeNodeEvents & {
  /** The root answered Register (RESACK). */
  registered: [{ root: string }];
  /** The peer's hello went unanswered for the peer timeout, or its parent failed. */
  'reunion-failure': [{ reason: 'timeout' | 'parent-unreachable'; parent: string | null }];
  /** A hello of this peer came back from the root. */
  'hello-answered': [{ roundTripMs: number }];
  /** The first hello after this peer's Join was answered through its parent: the peer is in the tree. */
  joined: [{ parent: string }];
  /** `close()` was called. */
  closed: [];
  /** The root could not be reached; the peer retries after `retryInMs` (auto mode). */
  'root-unreachable': [{ error: string; retryInMs: number | null }];
};

/** Counters kept by every node, for metrics. */
export interface NodeCounters {
  messagesOriginated: number;
  messagesDelivered: number;
  messagesForwarded: number;
  hellosSent: number;
  hellosRelayed: number;
  helloBacksRelayed: number;
  joinsAccepted: number;
  sendFailures: number;
  dropped: Record<DropReason, number>;
  packetsIn: Record<PacketKind, number>;
  packetsOut: Record<PacketKind, number>;
}

const kinds: readonly PacketKind[] = [
  'register-request',
  'register-response',
  'advertise-request',
  'advertise-response',
  'join',
  'message',
  'reunion-hello',
  'reunion-hello-back',
  'leave',
  'capabilities-offer',
  'capabilities-answer',
  'identified-message',
  'digest',
];

export function emptyCounters(): NodeCounters {
  const byKind = () =>
    Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<PacketKind, number>;
  return {
    messagesOriginated: 0,
    messagesDelivered: 0,
    messagesForwarded: 0,
    hellosSent: 0,
    hellosRelayed: 0,
    helloBacksRelayed: 0,
    joinsAccepted: 0,
    sendFailures: 0,
    dropped: Object.fromEntries(dropReasons.map((reason) => [reason, 0])) as Record<
      DropReason,
      number
    >,
    packetsIn: byKind(),
    packetsOut: byKind(),
  };
}
