export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export { PeerError, type PeerErrorCode } from './errors.js';
export {
  type DropReason,
  dropReasons,
  emptyCounters,
  type NeighbourRole,
  type NodeCounters,
  type PeerEvents,
  type TreeNodeEvents,
} from './events.js';
export { DEFAULT_JOIN_TIMEOUT_MS, type JoinedOptions } from './join-wait.js';
export {
  LENGTH_PARSING_MAX_MESSAGE_BYTES,
  LOCK_STEP_MAX_FRAME,
  LOCK_STEP_MAX_MESSAGE_BYTES,
  MessageLimits,
} from './message-limits.js';
export {
  Peer,
  type PeerInit,
  type PeerMode,
  type PeerOptions,
  type PeerStatus,
  type ReunionState,
} from './peer.js';
export { defaultMessageRate, type RateLimit, RateLimiter } from './rate-limit.js';
export {
  fastTimings,
  referenceTimings,
  resolveTimings,
  type TimingProfile,
  type Timings,
} from './timings.js';
export type { Transport, TransportPacket, TransportUnreachable } from './transport.js';
export {
  addressKey,
  type BroadcastResult,
  type RemoteSocket,
  TreeNode,
  type TreeNodeOptions,
} from './tree-node.js';
