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
export { LOCK_STEP_MAX_MESSAGE_BYTES } from './message-limits.js';
export {
  Peer,
  type PeerInit,
  type PeerMode,
  type PeerOptions,
  type PeerStatus,
  type ReunionState,
} from './peer.js';
export { defaultMessageRate, type RateLimit, RateLimiter } from './rate-limit.js';
export type { RootOption } from './root-addresses.js';
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
