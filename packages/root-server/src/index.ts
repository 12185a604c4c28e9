// The logger lives in @p2p/stream, the lowest package that logs; re-exported for the service's users.
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  resolveLogFormat,
} from '@p2p/stream';
export {
  type AttachedViews,
  isAttached,
  type NodeLinks,
  type Placement,
  topologyViews,
} from './attached.js';
export {
  isStoreError,
  ROOT_ERROR_CODES,
  ROOT_STORE_ERROR_CODES,
  RootError,
  type RootErrorCode,
  type RootStoreErrorCode,
  type RootStoreFailure,
  storeError,
} from './errors.js';
export { AdminServer, type AdminSource } from './http/admin-server.js';
export { addRoleMetrics, createMetrics, type RootMetrics } from './metrics.js';
export { type PlaceOptions, TreeGraph, type TreeNodeView } from './placement/tree.js';
export { Registry, type RegistryOptions, type RestoreReport } from './registry/registry.js';
export {
  type RootCounters,
  RootNode,
  type RootNodeEvents,
  type RootNodeOptions,
  type TurnOffCause,
} from './root-node.js';
export {
  DEFAULT_FORGET_AFTER,
  RootServer,
  type RootServerOptions,
} from './root-server.js';
// The flags, the exit-code table and wholeNumber: also `@p2p/root-server/flags`, alone.
export type { DashboardStats, RootStats } from './root-stats.js';
export * from './service/flags.js';
export { rootServerOptionsFrom } from './service/flags-to-options.js';
export { type LeaderOrStandbyOptions, runLeaderOrStandby } from './service/leader-or-standby.js';
export { type RunRootServiceOptions, runRootService } from './service/run.js';
export { MemoryStore } from './store/memory-store.js';
export { openStore } from './store/open-store.js';
export {
  type LeadershipEvents,
  type LeadershipOptions,
  PostgresLeadership,
} from './store/postgres-leadership.js';
export { POSTGRES_MIGRATIONS, type PostgresMigration } from './store/postgres-migrations.js';
export {
  isPostgresUrl,
  PostgresStore,
  type PostgresStoreOptions,
} from './store/postgres-store.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export type { NodePosition, Store, StoredNode } from './store/store.js';
export type { Topology, TopologyNode } from './topology.js';
