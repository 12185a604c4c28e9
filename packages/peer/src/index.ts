export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export { LOCK_STEP_MAX_MESSAGE_BYTES } from './core/message-limits.js';
export type { Neighbours, TreeEventSink } from './core/neighbours.js';
export { defaultMessageRate, type RateLimit, RateLimiter } from './core/rate-limit.js';
export { RefusalLog } from './core/refusal-log.js';
export type { RemoteSocket, TreeRole } from './core/role.js';
export { SourceCheck, type SourceCheckOptions } from './core/source-check.js';
export {
  type BroadcastResult,
  type LosslessStats,
  type NodeOptions,
  TreeCore,
  type TreeCoreOptions,
} from './core/tree-core.js';
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
export {
  DEFAULT_LOSSLESS_WINDOW,
  type LosslessOptions,
} from './lossless/lossless-options.js';
export { DEFAULT_JOIN_TIMEOUT_MS, type JoinedOptions } from './peer/join-wait.js';
export type { PeerInit, PeerMode, PeerOptions } from './peer/options.js';
export { Peer, type PeerStatus } from './peer/peer.js';
export type { ReunionState } from './peer/reunion.js';
export type { RootOption } from './peer/root-addresses.js';
export {
  fastTimings,
  referenceTimings,
  resolveTimings,
  type TimingProfile,
  type Timings,
} from './timings.js';
export type {
  Transport,
  TransportError,
  TransportFloodReport,
  TransportPacket,
  TransportProbeResult,
  TransportUnreachable,
} from './transport.js';
